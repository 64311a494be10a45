import {
  ConfigurationError,
  exponentialBackoff,
  noopLogger,
  noopMetrics,
  systemClock,
  type BackoffPolicy,
  type Clock,
  type Dimensions,
  type Logger,
  type Metrics,
} from '@kinesis-kit/core';
import { InvalidCheckpointError, LeaseLostError, ProcessorFailedError, ShardEndNotCheckpointedError } from '../errors.js';
import { comparePositions, isSequenceNumber, type Position } from '../position.js';
import type { ConsumerRecord, ShardInfo } from '../processor.js';
import type { IteratorStart } from '../retrieval/kinesis-port.js';
import type { RecordBatch, ShardRecordSource } from '../retrieval/retrieval.js';
import { ShardCheckpointer } from './checkpointer.js';
import type { ChildShard, ShardConsumer, ShardConsumerOutcome } from './contracts.js';
import type { ShardConsumerEvent } from './events.js';
import { IllegalTransitionError, isLegalTransition, type ShardConsumerState } from './lifecycle.js';
import { PROCESSING_METRICS } from './metric-names.js';
import { DEFAULT_PROCESS_RECORDS_BACKOFF, type ShardConsumerOptions } from './shard-consumer-options.js';
import { UserRecordStream } from './user-records.js';

type ProcessorPhase = Extract<ShardConsumerEvent, { type: 'processorError' }>['phase'];

/**
 * Starts consuming one shard whose lease this worker holds: initialize, then fetch,
 * de-aggregate and deliver batches until the shard ends, the lease is lost or a shutdown is
 * requested. `finished` tells how it ended and never rejects.
 */
export function startShardConsumer(options: ShardConsumerOptions): ShardConsumer {
  return new DefaultShardConsumer(options);
}

/** Where GetShardIterator starts for a lease checkpoint (AT_SEQUENCE_NUMBER: the restart filter drops what was done). */
export function iteratorStartFor(shardId: string, position: Position, timestamp: Date | undefined): IteratorStart {
  const { sequenceNumber } = position;
  if (sequenceNumber === 'TRIM_HORIZON' || sequenceNumber === 'LATEST') return { type: sequenceNumber };
  if (sequenceNumber === 'AT_TIMESTAMP') {
    if (timestamp === undefined) throw new ConfigurationError('the lease is at AT_TIMESTAMP but no initial position timestamp is configured');
    return { type: 'AT_TIMESTAMP', timestamp };
  }
  if (isSequenceNumber(sequenceNumber)) return { type: 'AT_SEQUENCE_NUMBER', sequenceNumber };
  throw new InvalidCheckpointError(shardId, `the lease's checkpoint ${sequenceNumber} is neither a sentinel nor a sequence number`);
}

class DefaultShardConsumer implements ShardConsumer {
  readonly shardId: string;
  readonly finished: Promise<ShardConsumerOutcome>;
  readonly #info: ShardInfo;
  readonly #dimensions: Dimensions;
  readonly #clock: Clock;
  readonly #metrics: Metrics;
  readonly #logger: Logger;
  readonly #backoff: BackoffPolicy;
  readonly #checkpointer: ShardCheckpointer;
  readonly #records: UserRecordStream;
  /** Aborted when the lease is lost: the signal processRecords sees. */
  readonly #lease = new AbortController();
  /** Aborted on lease loss or a shutdown request: ends waits and retries. */
  readonly #stop = new AbortController();
  #state: ShardConsumerState = 'created';
  /** Closed as soon as the lease is lost, even while a processRecords call that ignores its signal still runs. */
  #source: ShardRecordSource | undefined;

  constructor(private readonly options: ShardConsumerOptions) {
    this.shardId = options.shardId;
    const { shardId, streamName, streamIdentifier } = options;
    this.#info = streamIdentifier === undefined ? { shardId, streamName } : { shardId, streamName, streamIdentifier };
    this.#dimensions = { shardId: options.shardId };
    this.#clock = options.clock ?? systemClock;
    this.#metrics = options.metrics ?? noopMetrics;
    this.#logger = options.logger ?? noopLogger;
    this.#backoff = options.processRecordsBackoff ?? exponentialBackoff(DEFAULT_PROCESS_RECORDS_BACKOFF);
    this.#checkpointer = new ShardCheckpointer(options.leaseHandle, options.startingPosition, {
      clock: this.#clock,
      metrics: this.#metrics,
      onLeaseLost: () => this.#markLeaseLost(),
      onCheckpointed: (position, latencyMs) => this.#emit({ type: 'checkpointed', shardId: this.shardId, position, latencyMs }),
    });
    this.#records = new UserRecordStream({
      shardId: options.shardId,
      startingPosition: options.startingPosition,
      ...(options.hashKeyRange === undefined ? {} : { hashKeyRange: options.hashKeyRange }),
      metrics: this.#metrics,
      logger: this.#logger,
      onCorrupt: (info) => this.#emit({ type: 'corruptAggregate', shardId: this.shardId, info }),
    });
    this.finished = this.#run().then(
      (outcome) => this.#settle(outcome),
      (error: unknown) => this.#settle({ kind: 'failed', error: asError(error) }),
    );
  }

  requestShutdown(): void {
    if (this.#state === 'finished') return;
    this.#stop.abort();
  }

  leaseLost(): void {
    if (this.#state === 'finished') return;
    this.#markLeaseLost();
  }

  get #leaseIsLost(): boolean {
    return this.#lease.signal.aborted;
  }

  #markLeaseLost(): void {
    this.#checkpointer.refuse('the lease was lost');
    if (!this.#lease.signal.aborted) this.#lease.abort(new LeaseLostError(this.shardId));
    this.#stop.abort();
    this.#source?.close();
  }

  async #run(): Promise<ShardConsumerOutcome> {
    await Promise.resolve();
    const { startingPosition, timestamp } = this.options;
    if (startingPosition.sequenceNumber === 'SHARD_END') {
      this.#transition('finished');
      return { kind: 'shardEnded', childShards: [] };
    }
    let start: IteratorStart;
    try {
      start = iteratorStartFor(this.shardId, startingPosition, timestamp);
    } catch (error) {
      this.#transition('finished');
      return { kind: 'failed', error: asError(error) };
    }
    this.#transition('initializing');
    const { pendingCheckpoint } = this.options;
    const initialize = () => this.options.processor.initialize?.({ ...this.#info, startingPosition, ...(pendingCheckpoint === undefined ? {} : { pendingCheckpoint }) });
    const failure = await this.#callProcessor('initialize', initialize);
    if (failure !== undefined) {
      this.#transition('finished');
      return { kind: 'failed', error: new ProcessorFailedError(this.shardId, 'initialize', failure) };
    }
    if (this.#leaseIsLost) return this.#loseLease();
    if (this.#stop.signal.aborted) return this.#shutDown(undefined);
    return this.#consume(start);
  }

  async #consume(start: IteratorStart): Promise<ShardConsumerOutcome> {
    this.#transition('processing');
    let source: ShardRecordSource | undefined;
    let failure: unknown;
    try {
      const onEvent = (event: ShardConsumerEvent): void => this.#emit(event);
      source = this.options.retrieval.open({ shardId: this.shardId, start, metrics: this.#metrics, logger: this.#logger, onEvent });
      this.#source = source;
      for (;;) {
        const batch = await this.#nextBatch(source);
        if (batch === undefined) break;
        await this.#processBatch(batch);
        if (this.#stop.signal.aborted) break;
        if (batch.shardEnd !== undefined) {
          source.close();
          return await this.#endShard(batch.shardEnd.childShards);
        }
      }
    } catch (error) {
      failure = error;
    } finally {
      source?.close();
    }
    return this.#leaseIsLost ? this.#loseLease() : this.#shutDown(failure);
  }

  /** The next batch, or undefined once a stop (shutdown or lease loss) is requested. */
  async #nextBatch(source: ShardRecordSource): Promise<RecordBatch | undefined> {
    const signal = this.#stop.signal;
    if (signal.aborted) return undefined;
    const next = source.next();
    next.catch(() => undefined);
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<undefined>((resolve) => {
      onAbort = () => resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([next, stopped]);
    } finally {
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    }
  }

  async #processBatch(batch: RecordBatch): Promise<void> {
    const { millisBehindLatest } = batch;
    if (millisBehindLatest !== undefined) this.#metrics.gauge(PROCESSING_METRICS.millisBehindLatest, millisBehindLatest, this.#dimensions);
    const records = this.#records.expand(batch.records);
    const last = records.at(-1);
    if (last === undefined) return;
    const before = this.#checkpointer.largestDelivered;
    this.#checkpointer.delivered(last);
    const policy = this.options.processRecordsErrorPolicy ?? 'retry';
    for (let attempt = 1; ; attempt++) {
      const pending = attempt === 1 ? records : this.#notCheckpointed(records);
      if (pending.length === 0) return;
      const failure = await this.#deliver(pending, millisBehindLatest);
      if (failure === undefined || this.#leaseIsLost) return;
      const willRetry = policy === 'retry' && !this.#stop.signal.aborted;
      this.#reportProcessorError('processRecords', failure.error, willRetry);
      if (policy === 'skip') return;
      if (!willRetry || !(await this.#backOff(attempt))) {
        // Stopped while the batch still fails: a later checkpoint() must not mark it processed.
        this.#checkpointer.withdrawDeliveredAfter(before);
        return;
      }
    }
  }

  /** Waits before delivering a failed batch again; false when a stop cut the wait short. */
  async #backOff(attempt: number): Promise<boolean> {
    try {
      await this.#clock.sleep(this.#backoff.delayMs(attempt), this.#stop.signal);
      return true;
    } catch {
      return false;
    }
  }

  #notCheckpointed(records: readonly ConsumerRecord[]): readonly ConsumerRecord[] {
    const last = this.#checkpointer.lastCheckpoint;
    return records.filter((record) => comparePositions(record, last) > 0);
  }

  /** One processRecords call; the failure when it threw. */
  async #deliver(records: readonly ConsumerRecord[], millisBehindLatest: number | undefined): Promise<{ error: unknown } | undefined> {
    try {
      await this.options.processor.processRecords({ ...this.#info, records, checkpointer: this.#checkpointer, millisBehindLatest, signal: this.#lease.signal });
    } catch (error) {
      this.#metrics.count(PROCESSING_METRICS.processRecordsErrors, 1, this.#dimensions);
      return { error };
    }
    this.#metrics.count(PROCESSING_METRICS.recordsProcessed, records.length, this.#dimensions);
    let bytes = 0;
    for (const record of records) bytes += record.data.byteLength;
    this.#emit({ type: 'recordsProcessed', shardId: this.shardId, count: records.length, bytes, millisBehindLatest });
    return undefined;
  }

  /** Shard end: children are recorded on the lease BEFORE the processor's shardEnded, which must checkpoint SHARD_END. */
  async #endShard(childShards: readonly ChildShard[]): Promise<ShardConsumerOutcome> {
    this.#transition('recordingChildShards');
    let recorded: 'ok' | 'leaseLost';
    try {
      recorded = await this.options.leaseHandle.recordChildShards(childShards);
    } catch (error) {
      return this.#shutDown(error);
    }
    if (recorded === 'leaseLost') this.#markLeaseLost();
    if (this.#leaseIsLost) return this.#loseLease();
    this.#transition('shardEnding');
    this.#checkpointer.shardEnded();
    const failure = await this.#callProcessor('shardEnded', () => this.options.processor.shardEnded({ ...this.#info, checkpointer: this.#checkpointer }));
    await this.#finish();
    if (this.#checkpointer.lastCheckpoint.sequenceNumber === 'SHARD_END') return { kind: 'shardEnded', childShards };
    if (this.#leaseIsLost) return { kind: 'leaseLost' };
    return { kind: 'failed', error: new ShardEndNotCheckpointedError(this.shardId, failure) };
  }

  /** Graceful end (requested, or after a failure that retrying here cannot fix): the processor may still checkpoint. */
  async #shutDown(failure: unknown): Promise<ShardConsumerOutcome> {
    this.#transition('shuttingDown');
    await this.#callProcessor('shutdownRequested', () => this.options.processor.shutdownRequested?.({ ...this.#info, checkpointer: this.#checkpointer }));
    await this.#finish();
    if (failure !== undefined) return { kind: 'failed', error: asError(failure) };
    return this.#leaseIsLost ? { kind: 'leaseLost' } : { kind: 'shutdown' };
  }

  async #loseLease(): Promise<ShardConsumerOutcome> {
    this.#transition('losingLease');
    await this.#callProcessor('leaseLost', () => this.options.processor.leaseLost?.(this.#info));
    await this.#finish();
    return { kind: 'leaseLost' };
  }

  /** Lets checkpoints already asked for complete, then refuses any later one (the lease is about to be released). */
  async #finish(): Promise<void> {
    await this.#checkpointer.drain();
    this.#checkpointer.refuse('the shard consumer has finished');
    this.#transition('finished');
  }

  /** Runs a processor call other than processRecords; its failure (logged and reported) when it threw. */
  async #callProcessor(phase: ProcessorPhase, call: () => Promise<void> | void): Promise<unknown> {
    try {
      await call();
      return undefined;
    } catch (error) {
      this.#reportProcessorError(phase, error, false);
      return error ?? new Error(`${phase} threw ${String(error)}`);
    }
  }

  #reportProcessorError(phase: ProcessorPhase, error: unknown, willRetry: boolean): void {
    this.#logger.error(`processor ${phase} threw`, { shardId: this.shardId, phase, willRetry, error });
    this.#emit({ type: 'processorError', shardId: this.shardId, phase, error, willRetry });
  }

  #transition(to: ShardConsumerState): void {
    const from = this.#state;
    if (!isLegalTransition(from, to)) throw new IllegalTransitionError(from, to);
    this.#state = to;
    this.#logger.debug('shard consumer state', { shardId: this.shardId, from, to });
    this.#emit({ type: 'stateChanged', shardId: this.shardId, from, to });
  }

  #settle(outcome: ShardConsumerOutcome): ShardConsumerOutcome {
    this.#state = 'finished';
    this.#checkpointer.refuse('the shard consumer has finished');
    this.#emit({ type: 'finished', shardId: this.shardId, outcome });
    return outcome;
  }

  #emit(event: ShardConsumerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch (error) {
      this.#logger.warn('onEvent hook threw', { shardId: this.shardId, event: event.type, error });
    }
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
