import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { AbortedError, ConfigurationError, KinesisKitError, noopLogger, noopMetrics, systemClock, type Clock, type Logger, type Metrics } from '@kinesis-kit/core';
import { resolveConsumerOptions, streamSpecProblems, type ConsumerSettings, type KinesisConsumerOptions } from './config.js';
import { ConsumerEventEmitter, type ConsumerEventListener, type ConsumerEventName } from './consumer-events.js';
import { DynamoDBLeaseStore } from './leases/dynamodb-lease-store.js';
import { ConsumerStateError } from './leases/errors.js';
import type { RequestCounts } from './leases/lease-store.js';
import { LeaseCoordinator } from './leases/lease-coordinator.js';
import type { Coordination } from './leases/coordination.js';
import { FleetCoordinator } from './leases/fleet/fleet-coordinator.js';
import { LEASE_METRICS } from './leases/metric-names.js';
import type { Lease } from './leases/lease.js';
import type { LeaseHandle, ShardConsumer } from './processing/contracts.js';
import { startShardConsumer } from './processing/shard-consumer.js';
import { kinesisReadPort, type KinesisReadPort, type StreamRef } from './retrieval/kinesis-port.js';
import { kinesisFanOutPort } from './retrieval/fanout-port.js';
import { FanOutSession } from './retrieval/fanout-session.js';
import { pollingRetrieval } from './retrieval/polling.js';
import type { Retrieval } from './retrieval/retrieval.js';
import { leaseHandleFor, type LeaseHandleDeps } from './shards/lease-handle.js';
import { LeaderMaintenance } from './shards/maintenance.js';
import { raceTimeout, ShardScheduler, type ShardConsumerStarter } from './shards/shard-scheduler.js';
import { listShardsWithRetry, syncShards } from './shards/shard-sync.js';
import { consumedStream, keyedChildren, shardIdOf, type ConsumedStream, type StreamSpec } from './streams/consumed-stream.js';
import { openStream, type OpenStreamDeps } from './streams/stream-opener.js';
import { StreamRegistry } from './streams/stream-registry.js';

export type { KinesisConsumerOptions, StreamSelector } from './config.js';
export type { StreamSpec } from './streams/consumed-stream.js';

export type ConsumerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface ConsumerStats {
  readonly state: ConsumerState;
  readonly workerId: string;
  /** Leases held now, sorted. */
  readonly leasesHeld: readonly string[];
  /** Shards with a running shard consumer, sorted (lease keys: multi-stream keys in multi-stream mode). */
  readonly shardsRunning: readonly string[];
  /** Names of the streams consumed, sorted. */
  readonly streams: readonly string[];
  /** DynamoDB requests made so far by operation (every attempt). */
  readonly dynamoDBRequests: RequestCounts;
}

interface Running {
  readonly coordinator: Coordination;
  readonly scheduler: ShardScheduler;
  readonly maintenance: LeaderMaintenance;
}

/**
 * A KCL-grade Kinesis consumer: workers sharing an applicationName share the stream's shards
 * through a DynamoDB lease table that a Java KCL 2.x application can read and take over.
 *
 * Lifecycle: `start()` once (a second call, or a call after stop(), rejects with
 * ConsumerStateError; a start() that failed may be retried), `stop()` any number of times (it
 * returns the same promise). stop() during start() interrupts it: start() rejects with
 * AbortedError and stop() resolves once everything started has been undone.
 */
export class KinesisConsumer {
  readonly workerId: string;
  readonly applicationName: string;
  readonly tableName: string;
  readonly settings: ConsumerSettings;
  readonly #events = new ConsumerEventEmitter();
  readonly #options: KinesisConsumerOptions;
  readonly #clock: Clock;
  readonly #metrics: Metrics;
  readonly #logger: Logger;
  readonly #kinesis: KinesisClient;
  readonly #dynamo: DynamoDBClient;
  readonly #store: DynamoDBLeaseStore;
  /** The streams consumed: the one stream, or (multi-stream) those opened so far. */
  readonly #streams = new StreamRegistry();
  /** Multi-stream mode only: the streams to open at start(). */
  readonly #initialStreams: readonly StreamSpec[] | undefined;
  #state: ConsumerState = 'idle';
  #running: Running | undefined;
  #startup: AbortController | undefined;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: KinesisConsumerOptions) {
    const { settings, streams } = resolveConsumerOptions(options);
    this.settings = settings;
    this.#options = options;
    this.applicationName = options.applicationName;
    this.tableName = options.tableName ?? options.applicationName;
    this.workerId = options.workerId ?? `${hostname()}:${randomUUID()}`;
    this.#clock = options.clock ?? systemClock;
    this.#metrics = options.metrics ?? noopMetrics;
    this.#logger = options.logger ?? noopLogger;
    this.#kinesis = options.kinesisClient ?? new KinesisClient({ maxAttempts: 1 });
    this.#dynamo = options.dynamoDBClient ?? new DynamoDBClient({ maxAttempts: 1 });
    this.#store = new DynamoDBLeaseStore({
      client: this.#dynamo,
      tableName: this.tableName,
      requestTimeoutMs: settings.dynamoDBRequestTimeoutMillis,
      clock: this.#clock,
      metrics: this.#metrics,
      logger: this.#logger,
    });
    this.#initialStreams = streams.kind === 'multi' ? streams.streams : undefined;
    if (streams.kind === 'single') {
      const { streamName, streamRef } = streams;
      const port = kinesisReadPort(this.#kinesis, streamRef, this.#requestTimeouts());
      const fanOut = options.retrieval === 'fanout' ? this.#fanOutSession(streamRef) : undefined;
      const retrieval = fanOut?.retrieval ?? this.#chosenRetrieval(port);
      const initialPosition = options.initialPosition;
      this.#streams.add(consumedStream({ streamName, streamARN: streamRef.streamARN, initialPosition, port, retrieval, ...(fanOut ? { fanOut } : {}) }));
    }
    this.#events.on('leasesCreated', ({ shardIds }) => this.#metrics.count(LEASE_METRICS.leasesCreated, shardIds.length));
    this.#events.on('leasesCleanedUp', ({ shardIds }) => this.#metrics.count(LEASE_METRICS.leasesCleanedUp, shardIds.length));
  }

  #chosenRetrieval(port: KinesisReadPort): Retrieval {
    const { retrieval } = this.#options;
    if (typeof retrieval === 'object') return retrieval;
    return pollingRetrieval(port, { ...pollingSettingsOf(this.settings), clock: this.#clock });
  }

  #fanOutSession(stream: StreamRef): FanOutSession {
    const s = this.settings;
    return new FanOutSession(kinesisFanOutPort(this.#kinesis, this.#requestTimeouts()), {
      stream,
      applicationName: this.applicationName,
      ...(s.streamConsumerName === undefined ? {} : { streamConsumerName: s.streamConsumerName }),
      registerStreamConsumerTimeoutMillis: s.registerStreamConsumerTimeoutMillis,
      deregisterStreamConsumerOnShutdown: s.deregisterStreamConsumerOnShutdown,
      subscriptionStallTimeoutMillis: s.subscriptionStallTimeoutMillis,
      maxSubscriptionMillis: s.maxSubscriptionMillis,
      minTimeBetweenSubscribesMillis: s.minTimeBetweenSubscribesMillis,
      kinesisRequestTimeoutMillis: s.kinesisRequestTimeoutMillis,
      maxPrefetchBatches: s.maxPrefetchBatches,
      maxPrefetchBytes: s.maxPrefetchBytes,
      clock: this.#clock,
      logger: this.#logger,
    });
  }

  /** Every Kinesis request attempt's deadline (kinesisRequestTimeoutMillis), for the ports. */
  #requestTimeouts(): { requestTimeoutMillis: number; clock: Clock } {
    return { requestTimeoutMillis: this.settings.kinesisRequestTimeoutMillis, clock: this.#clock };
  }

  get state(): ConsumerState {
    return this.#state;
  }

  /** Subscribes to a typed event; returns the unsubscribe function. */
  on<E extends ConsumerEventName>(event: E, listener: ConsumerEventListener<E>): () => void {
    return this.#events.on(event, listener);
  }

  stats(): ConsumerStats {
    return {
      state: this.#state,
      workerId: this.workerId,
      leasesHeld: [...(this.#running?.coordinator.state.held.keys() ?? [])].sort(),
      shardsRunning: (this.#running?.scheduler.runningShards() ?? []).sort(),
      streams: this.#streams.all().map((s) => s.streamName),
      dynamoDBRequests: this.#store.requestCounts(),
    };
  }

  /** Creates or verifies the lease table, syncs shards to leases, then starts taking and renewing leases. */
  start(): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      return Promise.reject(new ConsumerStateError('CONSUMER_STOPPED', 'this KinesisConsumer was stopped; create a new one'));
    }
    if (this.#state !== 'idle') return Promise.reject(new ConsumerStateError('ALREADY_STARTED', 'start() was already called'));
    this.#state = 'starting';
    this.#starting = this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    const startup = new AbortController();
    this.#startup = startup;
    try {
      await this.#startUp(startup.signal);
    } catch (error) {
      await this.#teardown(false);
      this.#state = startup.signal.aborted ? 'stopped' : 'idle';
      throw startup.signal.aborted ? new AbortedError('start() was interrupted by stop()', error) : error;
    }
    if (startup.signal.aborted) {
      await this.#teardown(false);
      this.#state = 'stopped';
      throw new AbortedError('start() was interrupted by stop()');
    }
    this.#state = 'running';
    this.#events.emit('started', { workerId: this.workerId });
  }

  /**
   * Graceful: stops taking leases, lets every shard consumer finish its batch and call
   * shutdownRequested (the processor may checkpoint), then releases every lease so other workers
   * take them within one taking round. Idempotent. Bounded: it resolves within
   * gracefulShutdownTimeoutMillis + dynamoDBRequestTimeoutMillis (plus a start() in progress
   * undoing itself), even when a processor ignores its signal or DynamoDB does not answer; then
   * every timer of the consumer is released. A processor still running is told leaseLost and can
   * no longer checkpoint.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#state === 'starting') {
      this.#startup?.abort();
      await this.#starting?.catch(() => undefined); // start() undoes what it began before it settles
    }
    this.#state = 'stopping';
    await this.#teardown(true);
    this.#state = 'stopped';
    this.#events.emit('stopped', { workerId: this.workerId });
  }

  async #startUp(signal: AbortSignal): Promise<void> {
    for (const stream of this.#streams.all()) await stream.fanOut?.start(signal); // single-stream; openStream starts the others
    await this.#store.ensureTable(signal);
    for (const spec of this.#initialStreams ?? []) this.#streams.add(await openStream(spec, this.#openDeps(), signal));
    // Fleet coordination: the leader syncs shards in its first round (no scan per worker at start);
    // each worker still lists its streams' shards once, so a missing stream fails start() here.
    const fleet = this.settings.coordination === 'fleet';
    if (fleet) {
      for (const stream of this.#streams.all()) await listShardsWithRetry(stream.leasePort, this.#clock, signal);
    } else {
      const leaseKeys = new Set((await this.#store.listLeases(signal)).map((l) => l.leaseKey));
      for (const stream of this.#streams.all()) await this.#syncStream(stream, leaseKeys, signal);
    }
    signal.throwIfAborted();
    this.#running = this.#wire(fleet ? Number.NEGATIVE_INFINITY : this.#clock.now());
    this.#running.coordinator.start();
  }

  /** Creates the leases a stream's shards need (see syncShards). */
  async #syncStream(stream: ConsumedStream, leaseKeys: ReadonlySet<string>, signal?: AbortSignal): Promise<void> {
    const { leasePort: port, initialPosition } = stream;
    const { created } = await syncShards({ port, store: this.#store, leaseKeys, initialPosition, clock: this.#clock, ...(signal ? { signal } : {}) });
    if (created.length > 0) this.#events.emit('leasesCreated', { shardIds: created.map((l) => l.leaseKey), by: 'shardSync' });
  }

  #openDeps(): OpenStreamDeps {
    return {
      client: this.#kinesis,
      retrievalFor: (port) => this.#chosenRetrieval(port),
      ...(this.#options.retrieval === 'fanout' ? { fanOutFor: (ref: StreamRef) => this.#fanOutSession(ref) } : {}),
      initialPosition: this.#options.initialPosition,
      clock: this.#clock,
      requestTimeoutMillis: this.settings.kinesisRequestTimeoutMillis,
    };
  }

  /**
   * Multi-stream: starts consuming another stream (DescribeStreamSummary, then shard sync of its
   * leases; the next taking round shares them out). Resolves once its leases exist. Every worker
   * of the application should be given the same streams: a worker takes only the leases of
   * streams it consumes.
   */
  async addStream(stream: StreamSpec): Promise<'added' | 'alreadyConsumed'> {
    const running = this.#requireMultiStreamRunning('addStream');
    const problems = streamSpecProblems(stream);
    if (problems.length > 0) throw new ConfigurationError(`invalid stream for addStream(): ${problems.join('; ')}`);
    const opened = await openStream(stream, this.#openDeps());
    if (this.#streams.add(opened) === 'alreadyConsumed') return 'alreadyConsumed';
    await this.#syncStream(opened, new Set(running.coordinator.state.table.keys()));
    await running.coordinator.streamsChanged();
    running.coordinator.wake();
    return 'added';
  }

  /**
   * Multi-stream: stops consuming a stream (by name or ARN). Its shard consumers shut down
   * gracefully (shutdownRequested; the processor may checkpoint) and its leases are released,
   * not deleted: its checkpoints stay in the table. Resolves once they are released.
   */
  async removeStream(streamNameOrARN: string): Promise<'removed' | 'notConsumed'> {
    const running = this.#requireMultiStreamRunning('removeStream');
    const stream = this.#streams.find(streamNameOrARN);
    if (stream === undefined) return 'notConsumed';
    this.#streams.retire(stream);
    await running.coordinator.streamsChanged().catch((error: unknown) => this.#events.emit('error', { error, source: 'release' }));
    await running.scheduler.retire();
    this.#streams.forget(stream);
    await this.#stopFanOut(stream);
    return 'removed';
  }

  /** Deregisters the stream's stream consumer when deregisterStreamConsumerOnShutdown asks (no-op otherwise). */
  async #stopFanOut(stream: ConsumedStream): Promise<void> {
    await stream.fanOut?.stop().catch((error: unknown) => this.#events.emit('error', { error, source: 'fanOut' }));
  }

  #requireMultiStreamRunning(method: string): Running {
    if (this.#initialStreams === undefined) throw new ConsumerStateError('NOT_MULTI_STREAM', `${method}() needs a multi-stream consumer (created with streams)`);
    if (this.#state !== 'running' || this.#running === undefined) throw new ConsumerStateError('NOT_RUNNING', `${method}() needs a running consumer (state ${this.#state})`);
    return this.#running;
  }

  #wire(syncedAt: number): Running {
    const emit = this.#events.emit;
    // Multi-stream: only leases of streams this worker consumes are taken and started.
    const accepts = this.#initialStreams === undefined ? {} : { accepts: (key: string) => this.#streams.forKey(key) !== undefined };
    const coordinator = this.#coordination(accepts);
    const deps = { coordinator, store: this.#store, clock: this.#clock, emit };
    const scheduler = new ShardScheduler({
      ...accepts,
      coordinator,
      startConsumer: this.#starter(coordinator),
      handleFor: (leaseKey) => leaseHandleFor(leaseKey, this.#handleDeps(leaseKey, deps)),
      gracefulShutdownTimeoutMillis: this.settings.gracefulShutdownTimeoutMillis,
      emit,
      clock: this.#clock,
      logger: this.#logger,
    });
    const syncTargets = () => this.#streams.all().map((s) => ({ port: s.leasePort, initialPosition: s.initialPosition }));
    const maintenance = new LeaderMaintenance({ ...deps, syncTargets, ...this.settings }, syncedAt);
    return { coordinator, scheduler, maintenance };
  }

  /** The fleet protocol (default), or the Java KCL 2.x one (coordination: 'kcl2'). */
  #coordination(accepts: { accepts?: (key: string) => boolean }): Coordination {
    const common = {
      ...this.settings,
      workerId: this.workerId,
      store: this.#store,
      clock: this.#clock,
      metrics: this.#metrics,
      logger: this.#logger,
      onError: (error: unknown, source: 'takingRound' | 'renewal') => this.#events.emit('error', { error, source }),
    };
    const streams = this.#initialStreams === undefined ? {} : { streams: () => this.#streams.all().flatMap((s) => (s.streamIdentifier === undefined ? [] : [s.streamIdentifier])) };
    if (this.settings.coordination === 'fleet') return new FleetCoordinator({ ...common, ...streams, ...accepts });
    return new LeaseCoordinator({ ...accepts, ...common, ...(this.#options.assignmentPolicy ? { policy: this.#options.assignmentPolicy } : {}) });
  }

  #handleDeps(leaseKey: string, deps: Omit<LeaseHandleDeps, 'port'>): LeaseHandleDeps {
    const stream = this.#consumedStreamOf(leaseKey);
    if (stream.keyPrefix === '') return { ...deps, port: stream.leasePort };
    return { ...deps, port: stream.leasePort, keyChildren: (children) => keyedChildren(stream, children) };
  }

  #consumedStreamOf(leaseKey: string): ConsumedStream {
    const stream = this.#streams.forKey(leaseKey);
    if (stream === undefined) throw new KinesisKitError('STREAM_NOT_CONSUMED', `lease ${leaseKey} belongs to no stream this worker consumes`, { retriable: false });
    return stream;
  }

  #starter(coordinator: Coordination): ShardConsumerStarter {
    return ({ lease, handle }: { lease: Lease; handle: LeaseHandle }): ShardConsumer => {
      const stream = this.#consumedStreamOf(lease.leaseKey);
      const { streamName, streamIdentifier, initialPosition } = stream;
      // The stream's own initial position (multi-stream: its StreamSpec's, else the consumer's): its AT_TIMESTAMP leases start there.
      const timestamp = typeof initialPosition === 'object' ? initialPosition.timestamp : undefined;
      const shardId = shardIdOf(stream, lease.leaseKey);
      const info = streamIdentifier === undefined ? { shardId, streamName } : { shardId, streamName, streamIdentifier };
      const consumer = startShardConsumer({
        ...info,
        startingPosition: lease.checkpoint,
        ...(lease.pendingCheckpoint === undefined ? {} : { pendingCheckpoint: lease.pendingCheckpoint }),
        ...(timestamp === undefined ? {} : { timestamp }),
        ...(lease.hashKeyRange === undefined ? {} : { hashKeyRange: lease.hashKeyRange }),
        processor: this.#options.processor(info),
        leaseHandle: handle,
        retrieval: stream.retrieval,
        processRecordsErrorPolicy: this.settings.processRecordsErrorPolicy,
        clock: this.#clock,
        metrics: this.#metrics,
        logger: this.#logger,
        onEvent: (event) => {
          if (event.type === 'recordsProcessed') coordinator.recordProcessed(lease.leaseKey, event.bytes);
          this.#events.emit('processing', event);
        },
      });
      return stream.keyPrefix === '' ? consumer : keyedConsumer(consumer, lease.leaseKey);
    };
  }

  /** Undoes whatever start() did: graceful shard shutdown and lease release, timers; then the clients it created. */
  async #teardown(destroyClients: boolean): Promise<void> {
    const running = this.#running;
    this.#running = undefined;
    if (running !== undefined) {
      const { gracefulShutdownTimeoutMillis, dynamoDBRequestTimeoutMillis } = this.settings;
      const chores = running.maintenance.stop();
      const stopped = running.scheduler.stop().catch((error: unknown) => this.#events.emit('error', { error, source: 'release' }));
      // The graceful time, then one request timeout for the last releases; then every request still
      // in flight is aborted (a lease not released expires instead).
      await raceTimeout(this.#clock, stopped, gracefulShutdownTimeoutMillis + dynamoDBRequestTimeoutMillis);
      // Leaving the fleet lets the others take the released leases at once; bounded like a release.
      await raceTimeout(this.#clock, running.coordinator.leave().catch((error: unknown) => this.#events.emit('error', { error, source: 'release' })), 2 * dynamoDBRequestTimeoutMillis);
      await running.coordinator.halt();
      await chores;
    }
    if (!destroyClients) return;
    for (const stream of this.#streams.all()) await this.#stopFanOut(stream);
    if (this.#options.kinesisClient === undefined) this.#kinesis.destroy();
    if (this.#options.dynamoDBClient === undefined) this.#dynamo.destroy();
  }
}

function pollingSettingsOf(settings: ConsumerSettings) {
  const { maxRecords, idleTimeBetweenReadsMillis, minTimeBetweenReadsMillis, maxPrefetchBatches, maxPrefetchBytes, pollingStallTimeoutMillis } = settings;
  return { maxRecords, idleTimeBetweenReadsMillis, minTimeBetweenReadsMillis, maxPrefetchBatches, maxPrefetchBytes, pollingStallTimeoutMillis };
}

/** A shard consumer known to the scheduler by its multi-stream lease key rather than its bare shard id. */
function keyedConsumer(consumer: ShardConsumer, leaseKey: string): ShardConsumer {
  return { shardId: leaseKey, finished: consumer.finished, requestShutdown: () => consumer.requestShutdown(), leaseLost: () => consumer.leaseLost() };
}
