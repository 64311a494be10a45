import type { Attributes } from '@opentelemetry/api';

/** The OTel instrument a metric becomes: `count` -> counter, `gauge` -> gauge, `timing` -> histogram. */
export type InstrumentKind = 'counter' | 'gauge' | 'histogram';

/** How one of our metric names is reported to OpenTelemetry. */
export interface InstrumentMapping {
  /** OTel instrument name (a semantic-convention name where one exists, else `kinesis_kit.*`). */
  readonly name: string;
  /** The kind the library reports this metric as; a call of another kind falls back to a generic instrument. */
  readonly kind: InstrumentKind;
  /** UCUM unit, as OTel semantic conventions write them (`s`, `By`, `{record}`). */
  readonly unit: string;
  readonly description: string;
  /** Attributes added to every value of this metric, e.g. `messaging.operation.name`. */
  readonly attributes?: Attributes;
  /** Our dimension names -> attribute names for this metric, over DIMENSION_ATTRIBUTES. */
  readonly dimensions?: Readonly<Record<string, string>>;
  /** Multiplies each value: 0.001 turns our milliseconds into OTel's seconds. */
  readonly scale?: number;
}

/** Attribute names of our dimensions (semantic conventions: a shard is a messaging partition). */
export const DIMENSION_ATTRIBUTES: Readonly<Record<string, string>> = {
  shardId: 'messaging.destination.partition.id',
  code: 'error.type',
  operation: 'messaging.operation.name',
};

/** messaging.system has no registered value for Kinesis; this follows the registered `aws_sqs`. */
export const MESSAGING_SYSTEM = 'aws_kinesis';

/** Bucket boundaries in seconds that the messaging semantic conventions advise for durations. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

const MS = 0.001;
const messaging = (operation: string, type?: string): Attributes => ({
  'messaging.system': MESSAGING_SYSTEM,
  'messaging.operation.name': operation,
  ...(type === undefined ? {} : { 'messaging.operation.type': type }),
});
const dynamoDB: Pick<InstrumentMapping, 'attributes' | 'dimensions'> = {
  attributes: { 'db.system.name': 'aws.dynamodb' },
  dimensions: { operation: 'db.operation.name' },
};
const lease = (transition: string): InstrumentMapping => ({
  name: 'kinesis_kit.consumer.lease.transitions',
  kind: 'counter',
  unit: '{lease}',
  description: 'Leases this worker took, stole, lost, released, created or cleaned up, by kinesis_kit.lease.transition',
  attributes: { 'kinesis_kit.lease.transition': transition },
});
const operationDuration = (operation: string, type: string): InstrumentMapping => ({
  name: 'messaging.client.operation.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Duration of a Kinesis request',
  attributes: messaging(operation, type),
  scale: MS,
});
const counter = (name: string, unit: string, description: string, extra: Partial<InstrumentMapping> = {}): InstrumentMapping => ({
  name,
  kind: 'counter',
  unit,
  description,
  ...extra,
});

/** The producer's metrics (`METRICS` of @kinesis-kit/producer). */
export const PRODUCER_INSTRUMENTS: Readonly<Record<string, InstrumentMapping>> = {
  userRecordsPut: counter('messaging.client.sent.messages', '{message}', 'User records sent; with error.type when they failed for good', {
    attributes: messaging('PutRecords', 'send'),
  }),
  userRecordsFailed: counter('messaging.client.sent.messages', '{message}', 'User records sent; with error.type when they failed for good', {
    attributes: messaging('PutRecords', 'send'),
  }),
  kinesisRecordsPut: counter('kinesis_kit.producer.kinesis_records.put', '{record}', 'Kinesis records written (an aggregate counts one)'),
  bytesPut: counter('kinesis_kit.producer.data.put', 'By', 'Data and partition key bytes of the Kinesis records written'),
  requestLatency: operationDuration('PutRecords', 'send'),
  retries: counter('kinesis_kit.producer.retries', '{message}', 'User records scheduled for another attempt'),
  throttles: counter('kinesis_kit.producer.throttles', '{record}', 'Kinesis records throttled'),
  errors: counter('kinesis_kit.producer.errors', '{record}', 'Failed Kinesis record attempts, by error.type'),
  bufferingTime: {
    name: 'kinesis_kit.producer.buffering.duration',
    kind: 'histogram',
    unit: 's',
    description: "From acceptance of a Kinesis record's oldest user record to the request carrying it",
    scale: MS,
  },
  misroutedAggregates: counter('kinesis_kit.producer.misrouted_aggregates', '{record}', 'Aggregates stored on an unpredicted shard and re-sent'),
  shardMapRefreshes: counter('kinesis_kit.producer.shard_map.refreshes', '{refresh}', 'Shard map refreshes'),
  outstandingRecords: { name: 'kinesis_kit.producer.outstanding.messages', kind: 'gauge', unit: '{message}', description: 'User records accepted, not yet settled' },
  outstandingBytes: { name: 'kinesis_kit.producer.outstanding.size', kind: 'gauge', unit: 'By', description: 'Bytes of user records accepted, not yet settled' },
};

/** The consumer's metrics (`PROCESSING_METRICS`, `RETRIEVAL_METRICS`, `FAN_OUT_METRICS`, `LEASE_METRICS`). */
export const CONSUMER_INSTRUMENTS: Readonly<Record<string, InstrumentMapping>> = {
  RecordsProcessed: counter('messaging.client.consumed.messages', '{message}', 'User records whose processRecords call returned', {
    attributes: messaging('processRecords', 'process'),
  }),
  'ProcessRecords.Errors': counter('kinesis_kit.consumer.process_records.errors', '{call}', 'processRecords calls that threw'),
  MillisBehindLatest: {
    name: 'kinesis_kit.consumer.time_behind_latest',
    kind: 'gauge',
    unit: 's',
    description: 'How far the latest read is behind the tip of the shard',
    scale: MS,
  },
  'Checkpoint.Time': { name: 'kinesis_kit.consumer.checkpoint.duration', kind: 'histogram', unit: 's', description: 'One checkpoint write', scale: MS },
  'Checkpoint.LeaseLost': counter('kinesis_kit.consumer.checkpoint.lease_lost', '{checkpoint}', 'Checkpoints refused because the lease was taken'),
  'Deaggregation.CorruptAggregates': counter('kinesis_kit.consumer.corrupt_aggregates', '{record}', 'KPL aggregates passed through as plain records'),
  'Deaggregation.DiscardedSubRecords': counter('kinesis_kit.consumer.discarded_sub_records', '{message}', 'Aggregate members outside the shard hash key range'),
  'Deaggregation.RestartFiltered': counter('kinesis_kit.consumer.restart_filtered', '{message}', 'Members at or before the checkpoint, skipped on restart'),
  'GetRecords.Calls': counter('kinesis_kit.consumer.get_records.calls', '{call}', 'GetRecords calls'),
  'GetRecords.Time': operationDuration('GetRecords', 'receive'),
  'GetRecords.Records': counter('kinesis_kit.consumer.fetched.records', '{record}', 'Kinesis records fetched', { attributes: messaging('GetRecords') }),
  'GetRecords.Throttled': counter('kinesis_kit.consumer.throttles', '{call}', 'Reads throttled', { attributes: messaging('GetRecords') }),
  'GetRecords.Failures': counter('kinesis_kit.consumer.read_failures', '{call}', 'Reads that failed, by messaging.operation.name'),
  'GetRecords.ExpiredIterators': counter('kinesis_kit.consumer.get_records.expired_iterators', '{iterator}', 'Shard iterators that expired'),
  'GetRecords.Stalled': counter('kinesis_kit.consumer.get_records.stalls', '{fetch}', 'Fetches abandoned after no GetRecords answer for the stall time'),
  'GetRecords.ShardsGone': counter('kinesis_kit.consumer.shards_gone', '{shard}', 'Shards ended after ResourceNotFoundException, ListShards showing them closed or absent', { attributes: messaging('GetRecords') }),
  'GetRecords.UnconfirmedShardEnds': counter('kinesis_kit.consumer.unconfirmed_shard_ends', '{check}', 'Shard ends without ChildShards (or gone answers) checked with ListShards', { attributes: messaging('GetRecords') }),
  'SubscribeToShard.Calls': counter('kinesis_kit.consumer.subscribe_to_shard.calls', '{call}', 'SubscribeToShard calls'),
  'SubscribeToShard.Time': {
    name: 'kinesis_kit.consumer.subscribe_to_shard.duration',
    kind: 'histogram',
    unit: 's',
    description: 'From a SubscribeToShard call to its first event',
    scale: MS,
  },
  'SubscribeToShard.Events': counter('kinesis_kit.consumer.subscribe_to_shard.events', '{event}', 'SubscribeToShard events received'),
  'SubscribeToShard.Records': counter('kinesis_kit.consumer.fetched.records', '{record}', 'Kinesis records fetched', { attributes: messaging('SubscribeToShard') }),
  'SubscribeToShard.Throttled': counter('kinesis_kit.consumer.throttles', '{call}', 'Reads throttled', { attributes: messaging('SubscribeToShard') }),
  'SubscribeToShard.ResourceInUse': counter('kinesis_kit.consumer.subscribe_to_shard.resource_in_use', '{call}', 'Subscriptions refused: one already open'),
  'SubscribeToShard.Failures': counter('kinesis_kit.consumer.read_failures', '{call}', 'Reads that failed, by messaging.operation.name'),
  'SubscribeToShard.Stalled': counter('kinesis_kit.consumer.subscribe_to_shard.stalls', '{subscription}', 'Subscriptions torn down after no event'),
  'SubscribeToShard.Renewed': counter('kinesis_kit.consumer.subscribe_to_shard.renewals', '{subscription}', 'Subscriptions renewed'),
  'SubscribeToShard.ShardsGone': counter('kinesis_kit.consumer.shards_gone', '{shard}', 'Shards ended after ResourceNotFoundException, ListShards showing them closed or absent', { attributes: messaging('SubscribeToShard') }),
  'SubscribeToShard.UnconfirmedShardEnds': counter('kinesis_kit.consumer.unconfirmed_shard_ends', '{check}', 'Shard ends without ChildShards (or gone answers) checked with ListShards', { attributes: messaging('SubscribeToShard') }),
  'SubscribeToShard.DuplicatesDropped': counter('kinesis_kit.consumer.subscribe_to_shard.duplicates_dropped', '{record}', 'Records already delivered, dropped'),
  'DynamoDB.Requests': counter('kinesis_kit.lease_table.requests', '{request}', 'Lease table requests, by db.operation.name', dynamoDB),
  'DynamoDB.Throttled': counter('kinesis_kit.lease_table.throttles', '{request}', 'Lease table requests throttled, by db.operation.name', dynamoDB),
  'Leases.Held': { name: 'kinesis_kit.consumer.leases.held', kind: 'gauge', unit: '{lease}', description: 'Leases this worker holds' },
  'Leases.Taken': lease('taken'),
  'Leases.Stolen': lease('stolen'),
  'Leases.Lost': lease('lost'),
  'Leases.Released': lease('released'),
  'Leases.Created': lease('created'),
  'Leases.CleanedUp': lease('cleaned_up'),
  'Leases.Assigned': lease('assigned'),
  'Workers.DeclaredDead': counter('kinesis_kit.consumer.workers.declared_dead', '{worker}', 'Workers the fleet leader declared dead (no heartbeat for failoverTimeMillis)'),
};

/** Every metric the library reports, by the name it reports it under. */
export const DEFAULT_INSTRUMENTS: Readonly<Record<string, InstrumentMapping>> = { ...PRODUCER_INSTRUMENTS, ...CONSUMER_INSTRUMENTS };
