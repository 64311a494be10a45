import { EventEmitter } from 'node:events';
import type { ErrorClass, Logger, Metrics } from '@kinesis-kit/core';
import type { PutRecordsBatch } from './batch.js';
import type { PutRecordError } from './errors.js';
import { METRICS, type ProducerEventMap } from './events.js';
import type { MisroutedAggregateEvent, RetryEvent, ShardMapEvent, ShardMapFailureEvent, ThrottleEvent } from './events.js';
import type { PipelineObserver, RequestSummary, Written } from './hooks.js';

type EventName = keyof ProducerEventMap;

/**
 * Turns what the pipeline reports into metrics (through the injected Metrics) and typed events
 * (a Node EventEmitter). Event payloads are built only when someone listens; a listener that
 * throws is logged and does not disturb the pipeline.
 */
export class Instrumentation implements PipelineObserver {
  readonly emitter = new EventEmitter<ProducerEventMap>();
  readonly #metrics: Metrics;
  readonly #logger: Logger;
  readonly #outstanding: () => { records: number; bytes: number };

  constructor(metrics: Metrics, logger: Logger, outstanding: () => { records: number; bytes: number }) {
    this.#metrics = metrics;
    this.#logger = logger;
    this.#outstanding = outstanding;
  }

  emit<K extends EventName>(name: K, ...args: ProducerEventMap[K]): void {
    if (this.emitter.listenerCount(name) === 0) return;
    try {
      // The map's tuples are exactly the listener arguments; the cast only bridges EventEmitter's generic signature.
      (this.emitter.emit as (event: K, ...rest: ProducerEventMap[K]) => boolean)(name, ...args);
    } catch (error) {
      this.#logger.error('kinesis producer: an event listener threw', { event: name, error: String(error) });
    }
  }

  dispatched(batch: PutRecordsBatch, now: number): void {
    for (const record of batch.records) this.#metrics.timing(METRICS.bufferingTime, now - record.firstAcceptedAt);
  }

  request(batch: PutRecordsBatch, summary: RequestSummary, written: Written): void {
    const m = this.#metrics;
    m.timing(METRICS.requestLatency, summary.durationMs);
    if (written.userRecords > 0) {
      m.count(METRICS.userRecordsPut, written.userRecords);
      m.count(METRICS.kinesisRecordsPut, written.kinesisRecords);
      m.count(METRICS.bytesPut, written.bytes);
    }
    const outstanding = this.#outstanding();
    m.gauge(METRICS.outstandingRecords, outstanding.records);
    m.gauge(METRICS.outstandingBytes, outstanding.bytes);
    if (this.emitter.listenerCount('request') === 0) return;
    let userRecords = 0;
    for (const record of batch.records) userRecords += record.members.length;
    this.emit('request', {
      kinesisRecords: batch.count,
      userRecords,
      bytes: batch.bytes,
      startedAt: summary.startedAt,
      durationMs: summary.durationMs,
      failedKinesisRecords: summary.failedKinesisRecords,
      ...(summary.errorCode === undefined ? {} : { errorCode: summary.errorCode }),
    });
  }

  recordError(code: string, errorClass: ErrorClass): void {
    this.#metrics.count(METRICS.errors, 1, { code });
    if (errorClass === 'throttled') this.#metrics.count(METRICS.throttles);
  }

  throttled(event: ThrottleEvent): void {
    this.#logger.debug('kinesis producer: shard throttled, slowing down', { ...event });
    this.emit('throttled', event);
  }

  retry(event: RetryEvent): void {
    this.#metrics.count(METRICS.retries, event.userRecords);
    this.emit('retry', event);
  }

  misrouted(event: MisroutedAggregateEvent): void {
    if (event.resent) {
      this.#metrics.count(METRICS.misroutedAggregates);
      this.#logger.warn('kinesis producer: aggregate stored on an unpredicted shard; re-sending its members', { ...event });
    }
    this.emit('misroutedAggregate', event);
  }

  shardMap(event: ShardMapEvent): void {
    this.#metrics.count(METRICS.shardMapRefreshes);
    this.#logger.info('kinesis producer: shard map loaded', { ...event });
    this.emit('shardMapRefreshed', event);
  }

  shardMapFailed(event: ShardMapFailureEvent): void {
    if (event.willRetry) this.#logger.warn('kinesis producer: shard map load failed, retrying', { ...event });
    else this.#logger.error('kinesis producer: cannot load the shard map', { ...event });
    this.emit('shardMapRefreshFailed', event);
  }

  recordFailed(error: PutRecordError): void {
    this.#metrics.count(METRICS.userRecordsFailed, 1, { code: error.code });
    this.emit('recordFailed', error);
  }
}
