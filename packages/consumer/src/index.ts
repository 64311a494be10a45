// The public API of @kinesis-kit/consumer.
export { KinesisConsumer, type ConsumerState, type ConsumerStats, type KinesisConsumerOptions, type StreamSelector, type StreamSpec } from './consumer.js';
export { CONSUMER_OPTION_SPECS, type ConsumerSettings, type ConsumerTunables } from './config.js';
export type { ConsumerErrorSource, ConsumerEventListener, ConsumerEventName, ConsumerEvents } from './consumer-events.js';
export type { InitialPosition } from './shards/initial-position.js';

// Processor contract and positions.
export type {
  Checkpointer,
  ConsumerRecord,
  InitializeInput,
  ProcessRecordsInput,
  ShardEndedInput,
  ShardInfo,
  ShardRecordProcessor,
  ShardRecordProcessorFactory,
  ShutdownRequestedInput,
} from './processor.js';
export { AT_TIMESTAMP, comparePositions, isSentinel, isSequenceNumber, LATEST, SHARD_END, TRIM_HORIZON, type Position, type Sentinel } from './position.js';
export type { ChildShard, ShardConsumerOutcome } from './processing/contracts.js';
export type { ShardConsumerEvent } from './processing/events.js';
export type { ShardConsumerState } from './processing/lifecycle.js';
export type { ProcessRecordsErrorPolicy } from './processing/shard-consumer-options.js';

// Errors.
export { InvalidCheckpointError, LeaseLostError, ProcessorFailedError, ShardEndNotCheckpointedError } from './errors.js';
export { ConsumerStateError, InvalidLeaseItemError, LeaseTableNotActiveError, LeaseTableSchemaError, type ConsumerStateCode } from './leases/errors.js';

// Policies and ports, for plugging in (assignment, retrieval) and for tooling over the lease table.
export { EvenShareAssignment, type AssignableLease, type AssignmentDecision, type AssignmentView, type LeaseAssignmentPolicy } from './leases/assignment.js';
export { DynamoDBLeaseStore, type DynamoDBLeaseStoreOptions } from './leases/dynamodb-lease-store.js';
export type { Lease } from './leases/lease.js';
export { LEASE_ATTRIBUTES, MULTI_STREAM_LEASE_ATTRIBUTES } from './leases/lease-item.js';
export { multiStreamLeaseKey, parseMultiStreamLeaseKey, serializeStreamIdentifier, type StreamIdentifier } from './streams/stream-identifier.js';
export type { CreateResult, DeleteResult, LeaseStore, RequestCounts, WriteResult } from './leases/lease-store.js';
// Fleet coordination's items, for tooling (DynamoDBLeaseStore.readTable / readFleet / readWorker).
export { FLEET_ITEM_KEY, parseFleet, type FleetView, type SlotView } from './leases/fleet/fleet-item.js';
export type { FleetAttributes, FleetValue, TableContents, WorkerRecord } from './leases/fleet/fleet-store.js';
export { pollingRetrieval } from './retrieval/polling.js';
export { fanOutRetrieval } from './retrieval/fanout.js';
export { kinesisFanOutPort, type FanOutPort, type StreamConsumerDescription, type SubscriptionEvent } from './retrieval/fanout-port.js';
export { deregisterStreamConsumer, ensureStreamConsumer, type RegisteredStreamConsumer } from './retrieval/stream-consumer.js';
export { FanOutSession } from './retrieval/fanout-session.js';
export { FAN_OUT_OPTION_SPECS, type FanOutRetrievalOptions } from './retrieval/fanout-options.js';
export { StreamConsumerLimitError, StreamConsumerNotActiveError, SubscriptionStalledError } from './retrieval/fanout-errors.js';
export type { OpenShardInput, RecordBatch, Retrieval, RetrievalEvent, ShardEnd, ShardRecordSource } from './retrieval/retrieval.js';
export { kinesisReadPort, type KinesisReadPort, type StreamRef } from './retrieval/kinesis-port.js';

// Metric names.
export { LEASE_METRICS } from './leases/metric-names.js';
export { PROCESSING_METRICS } from './processing/metric-names.js';
export { RETRIEVAL_METRICS } from './retrieval/metric-names.js';
export { FAN_OUT_METRICS } from './retrieval/fanout-metric-names.js';
