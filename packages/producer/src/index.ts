export { KinesisProducer, type KinesisProducerOptions, type ProducerDependencies } from './producer.js';
export { PRODUCER_DEFAULTS, PRODUCER_OPTIONS, type Jitter, type MaxRecordSize, type Ordering, type ProducerConfig, type ProducerTuning } from './options.js';
export { PutRecordError, type PutRecordErrorCode } from './errors.js';
export { ProducerWritable, type ProducerWritableEvents, type ProducerWritableOptions } from './writable.js';
export { sdkWritePort, type SdkWritePortOptions, type StreamTarget } from './sdk-port.js';
export type { KinesisWritePort, PutRecordsEntryResult, ShardDescription } from './port.js';
export { METRICS } from './events.js';
export type {
  MisroutedAggregateEvent,
  ProducerEventMap,
  RequestEvent,
  RetryEvent,
  ShardMapEvent,
  ShardMapFailureEvent,
  StateChangeEvent,
  ThrottleEvent,
} from './events.js';
export { LIFECYCLE } from './lifecycle.js';
export { MISROUTED_AGGREGATE } from './outcomes.js';
export {
  DEFAULT_COLLECTION_MAX_BYTES,
  DEFAULT_MAX_RECORD_BYTES,
  LARGE_MAX_RECORD_BYTES,
  MAX_RECORD_SIZE_UNIT_BYTES,
  LIST_SHARDS_MAX_RESULTS,
  PUT_RECORDS_MAX_BYTES,
  PUT_RECORDS_MAX_RECORDS,
  SHARD_BYTES_PER_SECOND,
  SHARD_RECORDS_PER_SECOND,
} from './limits.js';
export type { CloseOptions, ProducerState, PutOptions, PutRecordInput, PutResult, PutTicket } from './types.js';
