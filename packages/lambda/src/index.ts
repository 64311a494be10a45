export { deaggregateEvent, deaggregateRecord } from './deaggregate-event.js';
export type { DeaggregateEventOptions } from './deaggregate-event.js';
export { kinesisHandler } from './handler.js';
export type { KinesisLambdaHandler } from './handler.js';
export { kinesisHandlerDefaults } from './options.js';
export { kinesisWindowHandler, WINDOW_STATE_LIMIT_BYTES } from './window-handler.js';
export type {
  KinesisLambdaWindowHandler,
  TumblingWindow,
  WindowHandler,
  WindowHandlerOptions,
  WindowResult,
} from './window-handler.js';
export type {
  BatchHandler,
  BatchModeOptions,
  BatchResult,
  CommonOptions,
  KinesisHandlerOptions,
  RecordFailure,
  RecordHandler,
  RecordModeOptions,
} from './options.js';
export { LambdaHandlerError } from './errors.js';
export type { LambdaErrorCode } from './errors.js';
export type * from './types.js';
export { KinesisKitError } from '@kinesis-kit/aggregation';
