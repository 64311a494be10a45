import { type KeySlot, ShardMap, keySlot, slotHashKey } from '@kinesis-kit/aggregation';
import { ShardLane, type LaneSettings } from './lane.js';
import type { ShardDescription } from './port.js';
import type { PendingRecord } from './records.js';

/** What routing reads of a record; `keySlot`, when there, saves a key cache lookup. */
export interface Routable {
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  readonly keySlot?: KeySlot;
}

/**
 * The current shard map as lanes: routes a record to the lane of its predicted shard, and on a
 * new shard list keeps the lanes of shards still open, creates lanes for new shards and retires
 * the lanes of closed ones. In ordered mode a new lane whose hash keys overlap a retiring lane
 * that still has records in flight waits for it (`waitsFor`), so a key's records reach the new
 * shard only after its older ones were settled on (or re-routed from) the old shard; a retiring
 * lane that itself still waits passes its waits on to the lanes created over its range.
 */
export class Topology {
  #settings: LaneSettings;
  readonly #ordered: boolean;
  #map: ShardMap<ShardLane> | undefined;
  #lanes = new Map<string, ShardLane>();
  /** Bumped whenever a shard list changes the set of lanes: tells a fresh map from a stale one. */
  #version = 0;
  /** Tags the lanes memoised in the shared key slots: a new map, a new tag (see KeySlot). */
  #routeTag: object = {};

  constructor(settings: LaneSettings, ordered: boolean) {
    this.#settings = settings;
    this.#ordered = ordered;
  }

  get loaded(): boolean {
    return this.#map !== undefined;
  }

  get lanes(): IterableIterator<ShardLane> {
    return this.#lanes.values();
  }

  get size(): number {
    return this.#lanes.size;
  }

  /** Settings for every lane from now on (the stream's record limit changed); returns the user records the lanes held, see ShardLane.reconfigure. */
  reconfigure(settings: LaneSettings): PendingRecord[] {
    this.#settings = settings;
    const taken: PendingRecord[] = [];
    for (const lane of this.#lanes.values()) for (const record of lane.reconfigure(settings)) taken.push(record);
    return taken;
  }

  /** Changes whenever a new shard list opened or closed a shard (0 before the first list). */
  get version(): number {
    return this.#version;
  }

  /** The current lane of a shard, if the shard is in the current map. */
  lane(shardId: string): ShardLane | undefined {
    return this.#lanes.get(shardId);
  }

  /** Whether `lane` still belongs to the current map. */
  isCurrent(lane: ShardLane): boolean {
    return this.#lanes.get(lane.shardId) === lane;
  }

  /** The lane of the shard predicted for a (validated) record, or undefined (no map yet, or a gap). */
  route(record: Routable): ShardLane | undefined {
    const map = this.#map;
    if (map === undefined) return undefined;
    if (record.explicitHashKey !== undefined) return map.lookup(BigInt(record.explicitHashKey));
    const slot = record.keySlot ?? keySlot(record.partitionKey);
    if (slot.routeTag === this.#routeTag) return slot.route as ShardLane;
    const lane = map.lookup(slotHashKey(slot));
    slot.routeTag = this.#routeTag;
    slot.route = lane;
    return lane;
  }

  /** Splits records by predicted lane, keeping their order; `homeless` have no lane (no map, or a gap). */
  group<R extends Routable>(
    records: readonly R[],
  ): { groups: Map<ShardLane, R[]>; homeless: R[] } {
    const groups = new Map<ShardLane, R[]>();
    const homeless: R[] = [];
    for (const record of records) {
      const lane = this.route(record);
      if (lane === undefined) homeless.push(record);
      else if (groups.has(lane)) groups.get(lane)!.push(record);
      else groups.set(lane, [record]);
    }
    return { groups, homeless };
  }

  /**
   * Installs a new list of open shards. Returns the lanes retired by it, marked `retired`, with
   * their queued records still inside for the caller to re-route.
   * @throws InvalidShardMapError when the ranges overlap (the caller validated them already).
   */
  apply(shards: readonly ShardDescription[], now: number): ShardLane[] {
    const previous = this.#lanes;
    const next = new Map<string, ShardLane>();
    const created: ShardLane[] = [];
    for (const shard of shards) {
      let lane = previous.get(shard.shardId);
      if (lane === undefined) {
        lane = new ShardLane(shard.shardId, shard.hashKeyRange, this.#settings, now);
        created.push(lane);
      }
      next.set(shard.shardId, lane);
    }
    this.#map = new ShardMap([...next.values()]);
    this.#lanes = next;
    this.#routeTag = {};
    const retired: ShardLane[] = [];
    for (const lane of previous.values()) {
      if (next.has(lane.shardId)) continue;
      lane.retired = true;
      retired.push(lane);
      if (!this.#ordered) continue;
      if (lane.busy) gate(lane, created);
      // A lane retiring while it still waits (back-to-back reshards): its successors inherit the
      // wait, or a key's next record could reach a grandchild before the older one in flight on
      // the grandparent settled.
      for (const older of lane.waitsFor) gate(older, created.filter((child) => overlaps(child, lane)));
    }
    if (created.length > 0 || retired.length > 0) this.#version++;
    return retired;
  }
}

/** Makes every created lane overlapping `retired` wait for it. */
function gate(retired: ShardLane, created: readonly ShardLane[]): void {
  for (const lane of created) {
    if (overlaps(lane, retired) && !lane.waitsFor.has(retired)) {
      lane.waitsFor.add(retired);
      retired.gates.push(lane);
    }
  }
}

function overlaps(a: ShardLane, b: ShardLane): boolean {
  return a.hashKeyRange.startingHashKey <= b.hashKeyRange.endingHashKey && b.hashKeyRange.startingHashKey <= a.hashKeyRange.endingHashKey;
}

/** A retired lane has nothing left in flight: releases the lanes that waited for it. */
export function releaseGates(retired: ShardLane): ShardLane[] {
  const released: ShardLane[] = [];
  for (const lane of retired.gates) {
    lane.waitsFor.delete(retired);
    if (lane.waitsFor.size === 0) released.push(lane);
  }
  retired.gates.length = 0;
  return released;
}
