import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type { Dimensions, Metrics } from './observability.js';

/** CloudWatch limits for one EMF document (see the Embedded Metric Format specification). */
const MAX_METRICS_PER_DOCUMENT = 100; // metric definitions per CloudWatchMetrics directive
const MAX_VALUES_PER_METRIC = 100; // values in one metric's array
const MAX_DIMENSIONS = 30; // dimension keys in one dimension set

export interface EmfMetricsOptions {
  /** CloudWatch namespace, e.g. `KinesisKit`. */
  readonly namespace: string;
  /** Where each EMF JSON document goes, one line each: in Lambda, `(line) => process.stdout.write(line)`. */
  readonly write: (line: string) => void;
  /** Dimensions added to every metric, e.g. `{ application: 'orders' }`. */
  readonly dimensions?: Dimensions;
  /** How often buffered values are written; 0 writes only on flush(). */
  readonly flushIntervalMs?: number;
  readonly clock?: Clock;
}

type Kind = 'count' | 'gauge' | 'timing';
interface Series {
  readonly name: string;
  readonly kind: Kind;
  readonly dimensions: Dimensions;
  values: number[];
}

const UNITS: Readonly<Record<Kind, string>> = { count: 'Count', gauge: 'None', timing: 'Milliseconds' };

/**
 * Metrics written as CloudWatch Embedded Metric Format: JSON log lines that CloudWatch Logs
 * turns into metrics, with no SDK call and no extra dependency (the Lambda runtime ships
 * stdout to CloudWatch Logs; elsewhere the CloudWatch agent does). Counters are summed per
 * flush, gauges keep their last value, timings keep up to 100 values per flush.
 */
export class EmfMetrics implements Metrics {
  readonly #options: EmfMetricsOptions;
  readonly #clock: Clock;
  readonly #series = new Map<string, Series>();
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(options: EmfMetricsOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    const interval = options.flushIntervalMs ?? 60_000;
    this.#timer = interval > 0 ? setInterval(() => this.flush(), interval).unref() : undefined;
  }

  count(name: string, value = 1, dimensions: Dimensions = {}): void {
    const series = this.#get(name, 'count', dimensions);
    series.values[0] = (series.values[0] ?? 0) + value;
  }

  gauge(name: string, value: number, dimensions: Dimensions = {}): void {
    this.#get(name, 'gauge', dimensions).values[0] = value;
  }

  timing(name: string, milliseconds: number, dimensions: Dimensions = {}): void {
    const series = this.#get(name, 'timing', dimensions);
    if (series.values.length >= MAX_VALUES_PER_METRIC) this.flush();
    this.#get(name, 'timing', dimensions).values.push(milliseconds);
  }

  /** Writes every buffered value now (one document per dimension set and 100 metrics). */
  flush(): void {
    const groups = new Map<string, Series[]>();
    for (const series of this.#series.values()) {
      const key = dimensionKey(series.dimensions);
      groups.set(key, [...(groups.get(key) ?? []), series]);
    }
    this.#series.clear();
    for (const group of groups.values()) {
      for (let i = 0; i < group.length; i += MAX_METRICS_PER_DOCUMENT) {
        this.#options.write(`${JSON.stringify(this.#document(group.slice(i, i + MAX_METRICS_PER_DOCUMENT)))}\n`);
      }
    }
  }

  /** Flushes and stops the interval timer. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.flush();
  }

  #get(name: string, kind: Kind, extra: Dimensions): Series {
    const dimensions = { ...this.#options.dimensions, ...extra };
    const key = `${kind}\u0000${name}\u0000${dimensionKey(dimensions)}`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { name, kind, dimensions, values: [] };
      this.#series.set(key, series);
    }
    return series;
  }

  #document(group: readonly Series[]): Record<string, unknown> {
    const dimensions = group[0]?.dimensions ?? {};
    const keys = Object.keys(dimensions).sort().slice(0, MAX_DIMENSIONS);
    const document: Record<string, unknown> = {
      _aws: {
        Timestamp: Math.round(this.#clock.now()),
        CloudWatchMetrics: [
          {
            Namespace: this.#options.namespace,
            Dimensions: [keys],
            Metrics: group.map((s) => ({ Name: s.name, Unit: UNITS[s.kind] })),
          },
        ],
      },
    };
    for (const key of keys) document[key] = dimensions[key];
    for (const series of group) document[series.name] = series.values.length === 1 ? series.values[0] : series.values;
    return document;
  }
}

function dimensionKey(dimensions: Dimensions): string {
  return Object.keys(dimensions)
    .sort()
    .map((key) => `${key}=${dimensions[key]}`)
    .join('\u0001');
}
