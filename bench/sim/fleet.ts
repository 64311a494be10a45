import { setMaxListeners } from 'node:events';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Retrieval } from '@kinesis-kit/consumer';
import type { Clock } from '@kinesis-kit/core';
import type { Item } from './capacity.js';
import { emptyStats, SimDynamoDB, type OperationStats } from './sim-dynamodb.js';
import { simKinesis, simRetrieval, simShards, type ShardLoad } from './sim-stream.js';
import { VirtualClock, type ClockView } from './virtual-clock.js';

/**
 * A fleet of consumer workers on one VirtualClock and one SimDynamoDB. The coordination design
 * under test plugs in as a `SimDesign`: given a worker's clock, clients and retrieval, it returns
 * a worker with start/stop/held. The fleet never looks inside: it measures what the design sends
 * to DynamoDB (requests, capacity) and what the lease table shows (owners, moves, takes).
 */
export interface WorkerContext {
  readonly workerId: string;
  readonly applicationName: string;
  readonly streamName: string;
  readonly clock: Clock;
  readonly dynamoDBClient: DynamoDBClient;
  readonly kinesisClient: KinesisClient;
  readonly retrieval: Retrieval;
}

export interface SimWorker {
  start(): Promise<void>;
  /** Graceful shutdown (leases handed over as the design does it). */
  stop(): Promise<void>;
  /** Leases this worker believes it holds (it processes them). */
  held(): readonly string[];
}

export interface SimDesign {
  readonly name: string;
  readonly tableName: (applicationName: string) => string;
  createWorker(context: WorkerContext): SimWorker;
  /** The worker the design makes leader among `live` (stop/kill of the leader is its own scenario), if any; `item` reads the lease table. */
  leader?(live: readonly string[], item: (key: string) => Item | undefined): string | undefined;
}

export interface FleetOptions {
  readonly design: SimDesign;
  readonly leases: number;
  readonly load?: ShardLoad;
  readonly latencyMs?: (operation: string, bytes: number) => number;
}

interface Member {
  readonly id: string;
  readonly worker: SimWorker;
  readonly clock: ClockView;
  alive: boolean;
  stopped: boolean;
}

export class Fleet {
  readonly clock = new VirtualClock();
  readonly dynamo: SimDynamoDB;
  readonly leases: number;
  readonly applicationName = 'scale-sim';
  readonly tableName: string;
  readonly #design: SimDesign;
  readonly #members = new Map<string, Member>();
  #load: ShardLoad;
  /** Reloads every record source when the load changes. */
  #loadChanged = unlimited(new AbortController());
  /** Lease key -> the last owner written (an owner removed is not forgotten: release then take is one move). */
  readonly #lastOwner = new Map<string, string>();
  /** Lease key -> owners written (takes), and moves from one worker to another. */
  readonly takes = new Map<string, number>();
  moves = 0;

  constructor(options: FleetOptions) {
    this.#design = options.design;
    this.leases = options.leases;
    this.#load = options.load ?? (() => undefined);
    this.dynamo = new SimDynamoDB(options.latencyMs ? { latencyMs: options.latencyMs } : {});
    this.tableName = options.design.tableName(this.applicationName);
    this.dynamo.onWrite((table, before, after) => {
      if (table === this.tableName) this.#observe(before, after);
    });
  }

  /** Adds and starts a worker (start() runs as the clock advances). */
  add(workerId: string): SimWorker {
    const clock = this.clock.view();
    const retrieval = simRetrieval(clock, (shardId) => this.#load(shardId), () => this.#loadChanged.signal);
    const worker = this.#design.createWorker({
      workerId,
      applicationName: this.applicationName,
      streamName: 'scale-sim',
      clock,
      dynamoDBClient: this.dynamo.client(clock, workerId),
      kinesisClient: simKinesis(this.leases, clock).client,
      retrieval,
    });
    this.#members.set(workerId, { id: workerId, worker, clock, alive: true, stopped: false });
    void worker.start().catch(() => undefined);
    return worker;
  }

  /**
   * A lease table as a balanced fleet leaves it (the KCL 2.x schema, one item per shard, lease i
   * owned by `ownerOf(i)`), for warm starts at sizes where a cold start takes too long to simulate.
   */
  seed(ownerOf: (index: number) => string): void {
    const table = this.dynamo.createTable({
      TableName: this.tableName,
      KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: 'leaseKey', AttributeType: 'S' },
        { AttributeName: 'leaseOwner', AttributeType: 'S' },
      ],
      // As the Java KCL 3.x (and this library) create it.
      GlobalSecondaryIndexes: [
        {
          IndexName: 'LeaseOwnerToLeaseKeyIndex',
          KeySchema: [
            { AttributeName: 'leaseOwner', KeyType: 'HASH' },
            { AttributeName: 'leaseKey', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
    for (const [i, shard] of simShards(this.leases).entries()) {
      const item: Item = {
        leaseKey: { S: shard.ShardId },
        entityType: { S: 'LEASE' },
        leaseOwner: { S: ownerOf(i) },
        leaseCounter: { N: '1' },
        ownerSwitchesSinceCheckpoint: { N: '0' },
        checkpoint: { S: 'TRIM_HORIZON' },
        checkpointSubSequenceNumber: { N: '0' },
        startingHashKey: { S: shard.HashKeyRange.StartingHashKey },
        endingHashKey: { S: shard.HashKeyRange.EndingHashKey },
      };
      table.put(shard.ShardId, item);
      this.#observe(undefined, item);
    }
    this.takes.clear();
  }

  /** Graceful stop; resolves (on the simulated clock) when stop() does. Returns how long stop() took. */
  async stop(workerId: string): Promise<number> {
    const member = this.#member(workerId);
    const startedAt = this.clock.now();
    let done = false;
    void member.worker.stop().finally(() => (done = true));
    member.alive = false;
    await this.clock.until(() => done, 600_000, 1);
    member.stopped = true;
    return this.clock.now() - startedAt;
  }

  /** SIGKILL: the worker never runs again, and never releases anything. */
  kill(workerId: string): void {
    const member = this.#member(workerId);
    member.alive = false;
    member.clock.kill();
  }

  setLoad(load: ShardLoad): void {
    this.#load = load;
    const previous = this.#loadChanged;
    this.#loadChanged = unlimited(new AbortController());
    previous.abort();
  }

  load(shardId: string): ReturnType<ShardLoad> {
    return this.#load(shardId);
  }

  live(): string[] {
    return [...this.#members.values()].filter((m) => m.alive).map((m) => m.id).sort();
  }

  leader(): string | undefined {
    return this.#design.leader?.(this.live(), (key) => this.dynamo.tables.get(this.tableName)?.get(key)?.item);
  }

  /** Leases each live worker believes it holds. */
  heldBy(): Map<string, readonly string[]> {
    return new Map(this.live().map((id) => [id, this.#member(id).worker.held()]));
  }

  /** Lease key -> owner, as the table says. */
  owners(): Map<string, string | undefined> {
    const table = this.dynamo.tables.get(this.tableName);
    const owners = new Map<string, string | undefined>();
    if (table === undefined) return owners;
    for (const { item } of table.values()) {
      if (item.entityType?.S !== undefined && item.entityType.S !== 'LEASE') continue;
      owners.set(String(item.leaseKey?.S), item.leaseOwner?.S);
    }
    return owners;
  }

  /** Every lease is held by exactly one live worker (by their own view) and the table agrees. */
  settled(): boolean {
    const held = this.heldBy();
    const owners = this.owners();
    if (owners.size !== this.leases) return false;
    let count = 0;
    for (const [id, keys] of held) {
      for (const key of keys) if (owners.get(key) !== id) return false;
      count += keys.length;
    }
    return count === this.leases;
  }

  /** Settled, and every live worker holds floor(N/W) or ceil(N/W) leases (fair within ±1 of each other). */
  fair(): boolean {
    if (!this.settled()) return false;
    const counts = [...this.heldBy().values()].map((keys) => keys.length);
    return Math.max(...counts) - Math.min(...counts) <= 1;
  }

  stats(): Map<string, OperationStats> {
    return this.dynamo.snapshot();
  }

  /** Runs the simulation for `ms` of simulated time. */
  run(ms: number): Promise<void> {
    return this.clock.advanceBy(ms);
  }

  #member(workerId: string): Member {
    const member = this.#members.get(workerId);
    if (member === undefined) throw new Error(`no worker ${workerId}`);
    return member;
  }

  #observe(before: Item | undefined, after: Item | undefined): void {
    const key = after?.leaseKey?.S ?? before?.leaseKey?.S;
    const owner = after?.leaseOwner?.S;
    if (key === undefined || owner === undefined || owner === before?.leaseOwner?.S) return;
    this.takes.set(key, (this.takes.get(key) ?? 0) + 1);
    const last = this.#lastOwner.get(key);
    if (last !== undefined && last !== owner) this.moves++;
    this.#lastOwner.set(key, owner);
  }
}

/** Every record source listens to the load signal: no listener limit. */
function unlimited(controller: AbortController): AbortController {
  setMaxListeners(0, controller.signal);
  return controller;
}

/** The difference of two stats snapshots, by operation. */
export function statsDelta(after: Map<string, OperationStats>, before: Map<string, OperationStats>): Map<string, OperationStats> {
  const delta = new Map<string, OperationStats>();
  for (const [op, a] of after) {
    const b = before.get(op) ?? emptyStats();
    const d = emptyStats();
    for (const field of Object.keys(d) as (keyof OperationStats)[]) d[field] = a[field] - b[field];
    delta.set(op, d);
  }
  return delta;
}
