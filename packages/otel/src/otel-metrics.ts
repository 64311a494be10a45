import type { Attributes, Meter, MetricOptions } from '@opentelemetry/api';
import { option, resolveOptions, type Dimensions, type Metrics } from '@kinesis-kit/core';
import { DEFAULT_INSTRUMENTS, DIMENSION_ATTRIBUTES, DURATION_BUCKETS_SECONDS, type InstrumentKind, type InstrumentMapping } from './instruments.js';

export interface OtelMetricsOptions {
  /** The OTel Meter to create instruments on, e.g. `metrics.getMeter('kinesis-kit')`. */
  readonly meter: Meter;
  /** Attributes added to every value, e.g. `{ 'messaging.destination.name': 'orders' }`. */
  readonly attributes?: Attributes;
  /** Mappings that replace or extend DEFAULT_INSTRUMENTS, by our metric name. */
  readonly instruments?: Readonly<Record<string, InstrumentMapping>>;
}

const isMeter = (value: unknown): string | undefined =>
  typeof value === 'object' && value !== null && ['createCounter', 'createGauge', 'createHistogram'].every((m) => typeof (value as Record<string, unknown>)[m] === 'function')
    ? undefined
    : 'must be an OpenTelemetry Meter (@opentelemetry/api 1.9 or later: createCounter, createGauge, createHistogram)';
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isMapping = (value: unknown): boolean =>
  isRecord(value) &&
  typeof value['name'] === 'string' &&
  value['name'] !== '' &&
  (['counter', 'gauge', 'histogram'] as unknown[]).includes(value['kind']) &&
  typeof value['unit'] === 'string' &&
  typeof value['description'] === 'string' &&
  (value['scale'] === undefined || (typeof value['scale'] === 'number' && Number.isFinite(value['scale'])));

export const OTEL_METRICS_OPTIONS = {
  meter: option<Meter | undefined>(undefined, 'The OTel Meter instruments are created on, e.g. `metrics.getMeter(\'kinesis-kit\')`.', isMeter, { shownDefault: '(required)' }),
  attributes: option<Attributes>({}, "Attributes added to every value, e.g. `{ 'messaging.destination.name': 'orders' }`.", (value) =>
    isRecord(value) ? undefined : 'must be an object of attributes',
  ),
  instruments: option<Readonly<Record<string, InstrumentMapping>>>({}, 'Mappings that replace or extend DEFAULT_INSTRUMENTS, by our metric name.', (value) =>
    isRecord(value) && Object.values(value).every(isMapping) ? undefined : 'must map metric names to { name, kind, unit, description, scale? }',
  ),
} as const;

/** Records one value with its dimensions. */
type Recorder = (value: number, dimensions: Dimensions | undefined) => void;

const FALLBACK_UNITS: Readonly<Record<InstrumentKind, string>> = { counter: '1', gauge: '1', histogram: 's' };

/**
 * Our Metrics interface onto an OpenTelemetry Meter: `count` adds to a counter, `gauge` sets a
 * gauge, `timing` records into a histogram, in seconds. Known KPL/KCL metric names map to the
 * instruments, units and attributes of DEFAULT_INSTRUMENTS (semantic-convention names where
 * they exist); any other name becomes `kinesis_kit.<name>`. Instruments are created once.
 */
export class OtelMetrics implements Metrics {
  readonly #meter: Meter;
  readonly #attributes: Attributes;
  readonly #mappings: Readonly<Record<string, InstrumentMapping>>;
  readonly #recorders = new Map<string, Recorder>();

  constructor(options: OtelMetricsOptions) {
    const resolved = resolveOptions('OtelMetrics', OTEL_METRICS_OPTIONS, options as unknown as Record<string, unknown>);
    this.#meter = resolved.meter!;
    this.#attributes = resolved.attributes;
    this.#mappings = { ...DEFAULT_INSTRUMENTS, ...resolved.instruments };
  }

  count(name: string, value = 1, dimensions?: Dimensions): void {
    this.#recorder(name, 'counter')(value, dimensions);
  }

  gauge(name: string, value: number, dimensions?: Dimensions): void {
    this.#recorder(name, 'gauge')(value, dimensions);
  }

  timing(name: string, milliseconds: number, dimensions?: Dimensions): void {
    this.#recorder(name, 'histogram')(milliseconds, dimensions);
  }

  #recorder(name: string, kind: InstrumentKind): Recorder {
    const key = `${kind}\u0000${name}`;
    let recorder = this.#recorders.get(key);
    if (recorder === undefined) {
      const known = this.#mappings[name];
      recorder = this.#create(known !== undefined && known.kind === kind ? known : fallback(name, kind));
      this.#recorders.set(key, recorder);
    }
    return recorder;
  }

  #create(mapping: InstrumentMapping): Recorder {
    const options: MetricOptions = { unit: mapping.unit, description: mapping.description };
    if (mapping.kind === 'histogram' && mapping.unit === 's') options.advice = { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] };
    const fixed = { ...this.#attributes, ...mapping.attributes };
    const names = { ...DIMENSION_ATTRIBUTES, ...mapping.dimensions };
    const attributesOf = (dimensions: Dimensions | undefined): Attributes => {
      if (dimensions === undefined) return fixed;
      const attributes = { ...fixed };
      for (const [key, value] of Object.entries(dimensions)) attributes[names[key] ?? key] = value;
      return attributes;
    };
    const scale = mapping.scale ?? 1;
    switch (mapping.kind) {
      case 'counter': {
        const counter = this.#meter.createCounter(mapping.name, options);
        return (value, dimensions) => counter.add(value * scale, attributesOf(dimensions));
      }
      case 'gauge': {
        const gauge = this.#meter.createGauge(mapping.name, options);
        return (value, dimensions) => gauge.record(value * scale, attributesOf(dimensions));
      }
      case 'histogram': {
        const histogram = this.#meter.createHistogram(mapping.name, options);
        return (value, dimensions) => histogram.record(value * scale, attributesOf(dimensions));
      }
    }
  }
}

/** A metric with no mapping: `kinesis_kit.` + its name in lower snake case; timings in seconds. */
function fallback(name: string, kind: InstrumentKind): InstrumentMapping {
  const otelName = `kinesis_kit.${name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_.]/g, '_')
    .toLowerCase()}`;
  return { name: otelName, kind, unit: FALLBACK_UNITS[kind], description: `kinesis-kit metric ${name}`, ...(kind === 'histogram' ? { scale: 0.001 } : {}) };
}
