export { retry, exponentialBackoff, type BackoffPolicy, type ExponentialBackoffOptions, type RetryOptions } from './backoff.js';
export { systemClock, type Clock } from './clock.js';
export { ERROR_CLASSES, classifyCode, classifyError, type ClassifiedError, type ErrorClass } from './error-classes.js';
export {
  AbortedError,
  ConfigurationError,
  InvalidRecordError,
  KinesisKitError,
  OperationFailedError,
  type Attempt,
  type InvalidRecordCode,
} from './errors.js';
export { noopLogger, noopMetrics, type Dimensions, type LogFields, type Logger, type Metrics } from './observability.js';
export { checks, option, renderOptionsTable, resolveOptions, type CrossCheck, type OptionSpec, type OptionSpecs, type OptionValues } from './options.js';
export { startTimer, timeoutError, timeoutSignal, withTimeout } from './timeout.js';
export { EmfMetrics, type EmfMetricsOptions } from './emf-metrics.js';
