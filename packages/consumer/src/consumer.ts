import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { AbortedError, noopLogger, noopMetrics, systemClock, type Clock, type Logger, type Metrics } from '@kinesis-kit/core';
import { resolveConsumerOptions, type ConsumerSettings, type KinesisConsumerOptions } from './config.js';
import { ConsumerEventEmitter, type ConsumerEventListener, type ConsumerEventName } from './consumer-events.js';
import { DynamoDBLeaseStore } from './leases/dynamodb-lease-store.js';
import { ConsumerStateError } from './leases/errors.js';
import type { RequestCounts } from './leases/lease-store.js';
import { LeaseCoordinator } from './leases/lease-coordinator.js';
import { LEASE_METRICS } from './leases/metric-names.js';
import type { Lease } from './leases/lease.js';
import type { LeaseHandle, ShardConsumer } from './processing/contracts.js';
import { startShardConsumer } from './processing/shard-consumer.js';
import { kinesisReadPort, type KinesisReadPort, type StreamRef } from './retrieval/kinesis-port.js';
import { kinesisFanOutPort } from './retrieval/fanout-port.js';
import { FanOutSession } from './retrieval/fanout-session.js';
import { pollingRetrieval } from './retrieval/polling.js';
import type { Retrieval } from './retrieval/retrieval.js';
import { leaseHandleFor } from './shards/lease-handle.js';
import { LeaderMaintenance } from './shards/maintenance.js';
import { ShardScheduler, type ShardConsumerStarter } from './shards/shard-scheduler.js';
import { syncShards } from './shards/shard-sync.js';

export type { KinesisConsumerOptions, StreamSelector } from './config.js';

export type ConsumerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface ConsumerStats {
  readonly state: ConsumerState;
  readonly workerId: string;
  /** Leases held now, sorted. */
  readonly leasesHeld: readonly string[];
  /** Shards with a running shard consumer, sorted. */
  readonly shardsRunning: readonly string[];
  /** DynamoDB requests made so far by operation (every attempt). */
  readonly dynamoDBRequests: RequestCounts;
}

interface Running {
  readonly coordinator: LeaseCoordinator;
  readonly scheduler: ShardScheduler;
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
  readonly #port: KinesisReadPort;
  readonly #store: DynamoDBLeaseStore;
  readonly #retrieval: Retrieval;
  /** Set when retrieval is 'fanout': registers the stream consumer at start(), may deregister at stop(). */
  readonly #fanOut: FanOutSession | undefined;
  readonly #streamName: string;
  #state: ConsumerState = 'idle';
  #running: Running | undefined;
  #startup: AbortController | undefined;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: KinesisConsumerOptions) {
    const { settings, streamRef, streamName } = resolveConsumerOptions(options);
    this.settings = settings;
    this.#options = options;
    this.applicationName = options.applicationName;
    this.tableName = options.tableName ?? options.applicationName;
    this.workerId = options.workerId ?? `${hostname()}:${randomUUID()}`;
    this.#clock = options.clock ?? systemClock;
    this.#metrics = options.metrics ?? noopMetrics;
    this.#logger = options.logger ?? noopLogger;
    this.#streamName = streamName;
    this.#kinesis = options.kinesisClient ?? new KinesisClient({ maxAttempts: 1 });
    this.#dynamo = options.dynamoDBClient ?? new DynamoDBClient({ maxAttempts: 1 });
    this.#port = kinesisReadPort(this.#kinesis, streamRef);
    this.#store = new DynamoDBLeaseStore({ client: this.#dynamo, tableName: this.tableName, clock: this.#clock, metrics: this.#metrics, logger: this.#logger });
    this.#fanOut = options.retrieval === 'fanout' ? this.#fanOutSession(streamRef) : undefined;
    this.#retrieval = this.#fanOut?.retrieval ?? this.#chosenRetrieval();
    this.#events.on('leasesCreated', ({ shardIds }) => this.#metrics.count(LEASE_METRICS.leasesCreated, shardIds.length));
    this.#events.on('leasesCleanedUp', ({ shardIds }) => this.#metrics.count(LEASE_METRICS.leasesCleanedUp, shardIds.length));
  }

  #chosenRetrieval(): Retrieval {
    const { retrieval } = this.#options;
    if (typeof retrieval === 'object') return retrieval;
    return pollingRetrieval(this.#port, { ...pollingSettingsOf(this.settings), clock: this.#clock });
  }

  #fanOutSession(stream: StreamRef): FanOutSession {
    const s = this.settings;
    return new FanOutSession(kinesisFanOutPort(this.#kinesis), {
      stream,
      applicationName: this.applicationName,
      ...(s.streamConsumerName === undefined ? {} : { streamConsumerName: s.streamConsumerName }),
      registerStreamConsumerTimeoutMillis: s.registerStreamConsumerTimeoutMillis,
      deregisterStreamConsumerOnShutdown: s.deregisterStreamConsumerOnShutdown,
      subscriptionStallTimeoutMillis: s.subscriptionStallTimeoutMillis,
      maxSubscriptionMillis: s.maxSubscriptionMillis,
      minTimeBetweenSubscribesMillis: s.minTimeBetweenSubscribesMillis,
      maxPrefetchBatches: s.maxPrefetchBatches,
      maxPrefetchBytes: s.maxPrefetchBytes,
      clock: this.#clock,
      logger: this.#logger,
    });
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
   * take them within one taking round. Idempotent.
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
    await this.#fanOut?.start(signal);
    await this.#store.ensureTable(signal);
    const leases = await this.#store.listLeases(signal);
    const { created } = await syncShards({
      port: this.#port,
      store: this.#store,
      leaseKeys: new Set(leases.map((l) => l.leaseKey)),
      initialPosition: this.#options.initialPosition,
      clock: this.#clock,
      signal,
    });
    if (created.length > 0) this.#events.emit('leasesCreated', { shardIds: created.map((l) => l.leaseKey), by: 'shardSync' });
    signal.throwIfAborted();
    this.#running = this.#wire(this.#clock.now());
    this.#running.coordinator.start();
  }

  #wire(syncedAt: number): Running {
    const emit = this.#events.emit;
    const coordinator = new LeaseCoordinator({
      ...this.settings,
      workerId: this.workerId,
      store: this.#store,
      clock: this.#clock,
      metrics: this.#metrics,
      logger: this.#logger,
      onError: (error, source) => emit('error', { error, source }),
      ...(this.#options.assignmentPolicy ? { policy: this.#options.assignmentPolicy } : {}),
    });
    const deps = { coordinator, store: this.#store, port: this.#port, clock: this.#clock, emit };
    const scheduler = new ShardScheduler({
      coordinator,
      startConsumer: this.#starter(),
      handleFor: (shardId) => leaseHandleFor(shardId, deps),
      gracefulShutdownTimeoutMillis: this.settings.gracefulShutdownTimeoutMillis,
      emit,
      clock: this.#clock,
      logger: this.#logger,
    });
    new LeaderMaintenance({ ...deps, initialPosition: this.#options.initialPosition, ...this.settings }, syncedAt);
    return { coordinator, scheduler };
  }

  #starter(): ShardConsumerStarter {
    const initial = this.#options.initialPosition;
    const timestamp = typeof initial === 'object' ? initial.timestamp : undefined;
    return ({ lease, handle }: { lease: Lease; handle: LeaseHandle }): ShardConsumer => {
      const shardId = lease.leaseKey;
      return startShardConsumer({
        shardId,
        streamName: this.#streamName,
        startingPosition: lease.checkpoint,
        ...(lease.pendingCheckpoint === undefined ? {} : { pendingCheckpoint: lease.pendingCheckpoint }),
        ...(timestamp === undefined ? {} : { timestamp }),
        ...(lease.hashKeyRange === undefined ? {} : { hashKeyRange: lease.hashKeyRange }),
        processor: this.#options.processor({ shardId, streamName: this.#streamName }),
        leaseHandle: handle,
        retrieval: this.#retrieval,
        processRecordsErrorPolicy: this.settings.processRecordsErrorPolicy,
        clock: this.#clock,
        metrics: this.#metrics,
        logger: this.#logger,
        onEvent: (event) => this.#events.emit('processing', event),
      });
    };
  }

  /** Undoes whatever start() did: graceful shard shutdown and lease release, timers; then the clients it created. */
  async #teardown(destroyClients: boolean): Promise<void> {
    const running = this.#running;
    this.#running = undefined;
    if (running !== undefined) {
      await running.scheduler.stop();
      await running.coordinator.halt();
    }
    if (!destroyClients) return;
    await this.#fanOut?.stop().catch((error: unknown) => this.#events.emit('error', { error, source: 'fanOut' }));
    if (this.#options.kinesisClient === undefined) this.#kinesis.destroy();
    if (this.#options.dynamoDBClient === undefined) this.#dynamo.destroy();
  }
}

function pollingSettingsOf(settings: ConsumerSettings) {
  const { maxRecords, idleTimeBetweenReadsMillis, minTimeBetweenReadsMillis, maxPrefetchBatches, maxPrefetchBytes } = settings;
  return { maxRecords, idleTimeBetweenReadsMillis, minTimeBetweenReadsMillis, maxPrefetchBatches, maxPrefetchBytes };
}
