/** Dimensions of a metric, e.g. `{ shardId: 'shardId-000000000001' }`. Keep cardinality low. */
export type Dimensions = Readonly<Record<string, string>>;

/**
 * The vendor-neutral metrics interface kinesis-kit reports through. Adapters (CloudWatch EMF,
 * Prometheus, OpenTelemetry) implement it; the default discards everything.
 */
export interface Metrics {
  /** Adds `value` (default 1) to a counter. */
  count(name: string, value?: number, dimensions?: Dimensions): void;
  /** Records the current value of something (buffered bytes, leases held). */
  gauge(name: string, value: number, dimensions?: Dimensions): void;
  /** Records a duration in milliseconds. */
  timing(name: string, milliseconds: number, dimensions?: Dimensions): void;
}

export const noopMetrics: Metrics = {
  count: () => undefined,
  gauge: () => undefined,
  timing: () => undefined,
};

/** Structured fields of a log line. Never payloads or credentials. */
export type LogFields = Readonly<Record<string, unknown>>;

/** The logger interface (pino, winston and console all fit it with a one-line adapter). */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const noopLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
