export { deaggregateEvent, deaggregateRecord } from './deaggregate-event.js';
export type { DeaggregateEventOptions } from './deaggregate-event.js';
export { kinesisHandler } from './handler.js';
export type { KinesisLambdaHandler } from './handler.js';
export { kinesisHandlerDefaults } from './options.js';
export type {
  BatchHandler,
  BatchModeOptions,
  BatchResult,
  KinesisHandlerOptions,
  RecordFailure,
  RecordHandler,
  RecordModeOptions,
} from './options.js';
export { LambdaHandlerError } from './errors.js';
export type { LambdaErrorCode } from './errors.js';
export type * from './types.js';
export { KinesisKitError } from '@kinesis-kit/aggregation';
