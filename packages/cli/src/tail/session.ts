import type { ChildShard, KinesisReadPort } from '@kinesis-kit/consumer';
import type { DeaggregatedRecord } from '@kinesis-kit/aggregation';
import type { Connection } from '../clients.js';
import { call, type CliIO } from '../context.js';
import { readShard, type ShardToRead, type StartPosition } from './shard-reader.js';

/** A shard as the consumer's read port lists it. */
type ShardDescription = Awaited<ReturnType<KinesisReadPort['listShards']>>[number];

export interface TailOptions {
  readonly start: StartPosition;
  /** Stop after this many user records. */
  readonly maxRecords: number;
  /** Stop once every shard being read is caught up. */
  readonly stopAtTip: boolean;
  readonly pollMs: number;
  readonly onRecord: (shardId: string, record: DeaggregatedRecord) => Promise<void>;
}

/**
 * Reads a stream's shards concurrently and follows resharding: when a shard ends, each child
 * starts once every parent being read has ended (both parents of a merge), so a partition key's
 * records come out in order across splits and merges. Children start at TRIM_HORIZON (or at the
 * same timestamp when tailing from one): they hold only records written after their parents closed.
 */
export class TailSession {
  readonly #started = new Set<string>();
  readonly #ended = new Set<string>();
  readonly #atTip = new Map<string, boolean>();
  readonly #running = new Set<Promise<void>>();
  #emitted = 0;
  #stopped = false;
  #failure: unknown;

  constructor(
    private readonly port: KinesisReadPort,
    private readonly options: TailOptions,
    private readonly connection: Connection,
    private readonly io: CliIO,
  ) {}

  /** Reads until every shard ended, the limit or the tip was reached, or the CLI was interrupted. */
  async run(shards: readonly ShardDescription[]): Promise<void> {
    for (const shard of initialShards(shards, this.options.start)) this.#start(shard);
    while (this.#running.size > 0) await Promise.race(this.#running);
    if (this.#failure !== undefined) throw this.#failure;
  }

  #stop(): void {
    this.#stopped = true;
  }

  #start(shard: ShardToRead): void {
    this.#started.add(shard.shardId);
    this.#atTip.set(shard.shardId, false);
    const hooks = {
      onRecord: async (shardId: string, record: DeaggregatedRecord) => {
        this.#emitted += 1;
        await this.options.onRecord(shardId, record);
        if (this.#emitted >= this.options.maxRecords) this.#stop();
      },
      onRead: (shardId: string, atTip: boolean) => {
        this.#atTip.set(shardId, atTip);
        if (this.options.stopAtTip && [...this.#atTip.values()].every(Boolean)) this.#stop();
      },
      stopped: () => this.#stopped || this.io.signal.aborted,
    };
    const reading: Promise<void> = readShard(this.port, shard, this.options.pollMs, hooks, this.connection, this.io)
      .then((children) => (children === undefined ? undefined : this.#shardEnded(shard.shardId, children)))
      .catch((error: unknown) => {
        this.#failure ??= error;
        this.#stop();
      })
      .finally(() => this.#running.delete(reading));
    this.#running.add(reading);
  }

  async #shardEnded(shardId: string, reported: readonly ChildShard[]): Promise<void> {
    this.#ended.add(shardId);
    this.#atTip.delete(shardId);
    const children = reported.length > 0 ? reported : await this.#childrenFromListing(shardId);
    for (const child of children) {
      if (this.#started.has(child.shardId) || this.#stopped) continue;
      const waiting = child.parentShardIds.some((parent) => this.#started.has(parent) && !this.#ended.has(parent));
      if (waiting) continue;
      const start: StartPosition = this.options.start.type === 'AT_TIMESTAMP' ? this.options.start : { type: 'TRIM_HORIZON' };
      this.#start({ shardId: child.shardId, hashKeyRange: { startingHashKey: child.startingHashKey, endingHashKey: child.endingHashKey }, start });
    }
    if (this.options.stopAtTip && this.#atTip.size > 0 && [...this.#atTip.values()].every(Boolean)) this.#stop();
  }

  /** Children of a closed shard when GetRecords did not name them: ListShards, by parent. */
  async #childrenFromListing(shardId: string): Promise<ChildShard[]> {
    const shards = await call(this.connection, this.io, 'ListShards', (signal) => this.port.listShards({ signal }));
    return shards
      .filter((s) => s.parentShardId === shardId || s.adjacentParentShardId === shardId)
      .map((s) => ({
        shardId: s.shardId,
        parentShardIds: [s.parentShardId, s.adjacentParentShardId].filter((id): id is string => id !== undefined),
        startingHashKey: s.startingHashKey,
        endingHashKey: s.endingHashKey,
      }));
  }
}

/**
 * The shards reading starts with: at LATEST the open shards (closed ones hold nothing newer);
 * otherwise the roots of the listed shard tree (shards whose parents are not listed, i.e. past
 * retention or none), their descendants following as they end.
 */
export function initialShards(shards: readonly ShardDescription[], start: StartPosition): ShardToRead[] {
  const listed = new Set(shards.map((s) => s.shardId));
  const chosen =
    start.type === 'LATEST'
      ? shards.filter((s) => s.endingSequenceNumber === undefined)
      : shards.filter((s) => [s.parentShardId, s.adjacentParentShardId].every((parent) => parent === undefined || !listed.has(parent)));
  return chosen.map((s) => ({ shardId: s.shardId, hashKeyRange: { startingHashKey: s.startingHashKey, endingHashKey: s.endingHashKey }, start }));
}
