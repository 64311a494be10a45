/** Metrics the shard consumer reports (dimension `shardId`). */
export const PROCESSING_METRICS = {
  /** Count: user records (after de-aggregation) whose processRecords call returned. */
  recordsProcessed: 'RecordsProcessed',
  /** Count: processRecords calls that threw. */
  processRecordsErrors: 'ProcessRecords.Errors',
  /** Gauge: millisBehindLatest of the latest batch (also refreshed by empty reads). */
  millisBehindLatest: 'MillisBehindLatest',
  /** Timing: one checkpoint write through the lease layer. */
  checkpointTime: 'Checkpoint.Time',
  /** Count: checkpoints refused because the lease had been taken. */
  checkpointLeaseLost: 'Checkpoint.LeaseLost',
  /** Count: aggregates that failed their MD5 or protobuf checks (delivered as one plain record). */
  corruptAggregates: 'Deaggregation.CorruptAggregates',
  /** Count: sub-records dropped because their hash key belongs to another shard. */
  discardedSubRecords: 'Deaggregation.DiscardedSubRecords',
  /** Count: user records dropped by the restart filter (at or before the starting checkpoint). */
  restartFiltered: 'Deaggregation.RestartFiltered',
} as const;
