// The real OpenTelemetry metrics SDK with its in-memory exporter: what an application's
// MeterProvider would export, read back in the test.
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import type { Attributes } from '@opentelemetry/api';
import { OtelMetrics, type OtelMetricsOptions } from '@kinesis-kit/otel';

/** One exported series: instrument name, unit and type, the point's attributes and value. */
export interface Series {
  readonly name: string;
  readonly unit: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly attributes: Attributes;
  /** Sum for counters, last value for gauges, the sum of the recorded values for histograms. */
  readonly value: number;
  /** Number of recorded values (histograms only). */
  readonly count?: number;
  readonly boundaries?: readonly number[];
}

export interface InMemoryOtel {
  readonly metrics: OtelMetrics;
  /** Exports now and returns every series exported so far (cumulative temporality). */
  collect(): Promise<Series[]>;
  shutdown(): Promise<void>;
}

export function inMemoryOtel(options: Omit<OtelMetricsOptions, 'meter'> = {}): InMemoryOtel {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // A long interval: the test exports with forceFlush(), never on a timer.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const metrics = new OtelMetrics({ ...options, meter: provider.getMeter('kinesis-kit-test') });
  return {
    metrics,
    async collect() {
      await reader.forceFlush();
      const last = exporter.getMetrics().at(-1);
      return (last?.scopeMetrics ?? []).flatMap((scope) => scope.metrics.flatMap(toSeries));
    },
    shutdown: () => provider.shutdown(),
  };
}

function toSeries(metric: MetricData): Series[] {
  const { name, unit } = metric.descriptor;
  switch (metric.dataPointType) {
    case DataPointType.SUM:
      return metric.dataPoints.map((p) => ({ name, unit, type: 'counter' as const, attributes: p.attributes, value: p.value }));
    case DataPointType.GAUGE:
      return metric.dataPoints.map((p) => ({ name, unit, type: 'gauge' as const, attributes: p.attributes, value: p.value }));
    case DataPointType.HISTOGRAM:
      return metric.dataPoints.map((p) => ({
        name,
        unit,
        type: 'histogram' as const,
        attributes: p.attributes,
        value: p.value.sum ?? 0,
        count: p.value.count,
        boundaries: p.value.buckets.boundaries,
      }));
    default:
      throw new Error(`unexpected data point type ${metric.dataPointType}`);
  }
}

/** The series of one instrument whose attributes include `attributes`. */
export function find(series: readonly Series[], name: string, attributes: Attributes = {}): Series[] {
  return series.filter((s) => s.name === name && Object.entries(attributes).every(([k, v]) => s.attributes[k] === v));
}

/** Sum of the values of the matching series. */
export function total(series: readonly Series[], name: string, attributes: Attributes = {}): number {
  return find(series, name, attributes).reduce((sum, s) => sum + s.value, 0);
}
