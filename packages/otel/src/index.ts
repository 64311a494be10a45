export { OtelMetrics, OTEL_METRICS_OPTIONS, type OtelMetricsOptions } from './otel-metrics.js';
export {
  CONSUMER_INSTRUMENTS,
  DEFAULT_INSTRUMENTS,
  DIMENSION_ATTRIBUTES,
  DURATION_BUCKETS_SECONDS,
  MESSAGING_SYSTEM,
  PRODUCER_INSTRUMENTS,
  type InstrumentKind,
  type InstrumentMapping,
} from './instruments.js';
