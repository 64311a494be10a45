/** Metrics the retrieval reports (dimension `shardId`; failures also `operation`). */
export const RETRIEVAL_METRICS = {
  /** Count: GetRecords calls made (including those that failed). */
  getRecordsCalls: 'GetRecords.Calls',
  /** Timing: duration of a successful GetRecords call. */
  getRecordsTime: 'GetRecords.Time',
  /** Count: Kinesis records fetched (aggregates count once). */
  recordsFetched: 'GetRecords.Records',
  /** Count: calls throttled (ProvisionedThroughputExceeded and the like), retried after a backoff. */
  throttled: 'GetRecords.Throttled',
  /** Count: calls that failed otherwise (5xx, resets, timeouts, and the final fatal one). */
  failures: 'GetRecords.Failures',
  /** Count: expired shard iterators replaced. */
  expiredIterators: 'GetRecords.ExpiredIterators',
  /** Count: iterators replaced because no GetRecords call succeeded for pollingStallTimeoutMillis. */
  stalled: 'GetRecords.Stalled',
  /** Count: shards ended because GetShardIterator or GetRecords answered ResourceNotFoundException. */
  shardsGone: 'GetRecords.ShardsGone',
  /** Count: shard ends without ChildShards, checked with ListShards (see the `unconfirmedShardEnd` event). */
  unconfirmedShardEnds: 'GetRecords.UnconfirmedShardEnds',
} as const;
