import type { FleetAttributes, FleetValue } from './fleet-store.js';

/**
 * The fleet item: one small item of the lease table, key FLEET_ITEM_KEY, entityType LEADER (a
 * coordinator-state entity under a key the Java KCL 3.5 never reads: see docs/consumer.md, "Lease
 * table format"). Every worker heartbeats into it and the leader renews its lock in it, so every
 * write of it returns (ALL_NEW) the whole fleet's state: liveness is observed at no read cost.
 *
 * Attributes (kept tiny: a heartbeat costs ceil(item size / 1 KB) write units, so 2 for 100 workers):
 * - `ldr` S   the leader's worker id;      `lc` N  the leader's lock counter (mod 100)
 * - `dep` S   the deputy's slot (heartbeats fast, takes over first)
 * - `sl`  N   the last slot handed out (slots are base 36, never reused)
 * - `chg` N   +1 when a worker changed the table in a way the leader must scan for (new child leases)
 * - per slot s: `h<s>` N heartbeat (mod 100), `e<s>` N assignment epoch (+1 when its leases changed),
 *   `n<s>` N how many leases it should own, `j<s>` S its worker id until the leader has recorded it,
 *   `k<s>` S the streams a multi-stream worker consumes (JSON), until the leader has recorded them,
 *   `m<s>` S moves it is asked to hand over (JSON [[leaseKey, toWorkerId, toSlot], ...]).
 */
export const FLEET_ITEM_KEY = 'kinesis-kit:fleet';
export const FLEET_ENTITY_TYPE = 'LEADER';

export const FLEET = { leader: 'ldr', leaderCounter: 'lc', deputy: 'dep', lastSlot: 'sl', changes: 'chg' } as const;
const SLOT_FIELDS = { heartbeat: 'h', epoch: 'e', count: 'n', joinId: 'j', streams: 'k', moves: 'm' } as const;
type SlotField = keyof typeof SLOT_FIELDS;

/** Counters that only need to differ from their last value wrap at this (a smaller number attribute). */
export const COUNTER_MODULUS = 100;

export function slotAttribute(field: SlotField, slot: string): string {
  return `${SLOT_FIELDS[field]}${slot}`;
}

export function slotName(slotNumber: number): string {
  return slotNumber.toString(36);
}

export interface SlotView {
  readonly heartbeat: number;
  readonly epoch: number;
  readonly count: number;
  readonly joinId: string | undefined;
  /** The streams a multi-stream worker consumes, until the leader has recorded them (see WorkerRecord.streams). */
  readonly streams: readonly string[] | undefined;
  readonly moves: readonly Move[];
}

/** A lease its owner is asked to hand to another worker (id and fleet slot). */
export interface Move {
  readonly leaseKey: string;
  readonly to: string;
  readonly toSlot: string;
}

export interface FleetView {
  readonly leader: string | undefined;
  readonly leaderCounter: number;
  readonly deputy: string | undefined;
  readonly lastSlot: number;
  readonly changes: number;
  /** Registered slots (those with a heartbeat attribute). */
  readonly slots: ReadonlyMap<string, SlotView>;
}

const num = (value: FleetValue | undefined): number => (typeof value === 'number' ? value : 0);
const str = (value: FleetValue | undefined): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const SLOT_NAME = /^[0-9a-z]+$/;

export function parseFleet(attributes: FleetAttributes): FleetView {
  const slots = new Map<string, SlotView>();
  for (const [name, value] of attributes) {
    if (name.startsWith(SLOT_FIELDS.heartbeat) && SLOT_NAME.test(name.slice(1))) {
      const slot = name.slice(1);
      slots.set(slot, {
        heartbeat: num(value),
        epoch: num(attributes.get(slotAttribute('epoch', slot))),
        count: num(attributes.get(slotAttribute('count', slot))),
        joinId: str(attributes.get(slotAttribute('joinId', slot))),
        streams: parseStreams(str(attributes.get(slotAttribute('streams', slot)))),
        moves: parseMoves(str(attributes.get(slotAttribute('moves', slot)))),
      });
    }
  }
  return {
    leader: str(attributes.get(FLEET.leader)),
    leaderCounter: num(attributes.get(FLEET.leaderCounter)),
    deputy: str(attributes.get(FLEET.deputy)),
    lastSlot: num(attributes.get(FLEET.lastSlot)),
    changes: num(attributes.get(FLEET.changes)),
    slots,
  };
}

/** A stream list as the fleet item and worker items carry it (JSON array of stream identifiers). */
export function encodeStreams(streams: readonly string[]): string {
  return JSON.stringify([...streams].sort());
}

export function parseStreams(encoded: string | undefined): readonly string[] | undefined {
  if (encoded === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(encoded);
    return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === 'string') : undefined;
  } catch {
    return undefined;
  }
}

export function encodeMoves(moves: readonly Move[]): string {
  return JSON.stringify(moves.map((m) => [m.leaseKey, m.to, m.toSlot]));
}

function parseMoves(encoded: string | undefined): Move[] {
  if (encoded === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(encoded);
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((entry: unknown) =>
      Array.isArray(entry) && entry.length === 3 && entry.every((part) => typeof part === 'string')
        ? [{ leaseKey: entry[0] as string, to: entry[1] as string, toSlot: entry[2] as string }]
        : [],
    );
  } catch {
    return [];
  }
}

/** Every attribute a slot may have: REMOVEd together when the slot goes. */
export function slotAttributes(slot: string): string[] {
  return (Object.keys(SLOT_FIELDS) as SlotField[]).map((field) => slotAttribute(field, slot));
}
