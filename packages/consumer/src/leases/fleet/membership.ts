import type { Clock, Logger } from '@kinesis-kit/core';
import { COUNTER_MODULUS, encodeStreams, FLEET, parseFleet, slotAttribute, slotName } from './fleet-item.js';
import type { FleetAttributes, FleetStore, FleetUpdate, FleetWriteResult } from './fleet-store.js';

/** What joining the fleet and losing the slot need of the coordinator. */
export interface MembershipContext {
  readonly workerId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: Pick<FleetStore, 'putWorker' | 'readFleet'>;
  /** Runs a request in the coordinator's abort scope. */
  readonly run: <T>(work: (signal: AbortSignal) => Promise<T>) => Promise<T>;
  readonly writeFleet: (update: FleetUpdate) => Promise<FleetWriteResult>;
  /** Multi-stream: the streams this worker consumes; undefined = every stream. */
  readonly streams: () => readonly string[] | undefined;
  /** `slot` is this worker's from now on: its joining write, sent at `sentAt`, returned `fleet`. */
  readonly joined: (slot: string, sentAt: number, fleet: FleetAttributes) => void;
  /** This worker's slot is gone (declared dead, or the item deleted): every lease is given up, and it joins again. */
  readonly removed: () => void;
  /** Another worker holds the leader's lock. */
  readonly lockLost: () => void;
}

/** Registers: a slot number from the fleet item's counter, this worker's item, then the slot's attributes. */
export async function joinFleet(context: MembershipContext): Promise<void> {
  const { workerId, store } = context;
  const counted = await context.writeFleet({ increment: { [FLEET.lastSlot]: 1 }, createIfAbsent: true });
  if (counted.kind !== 'updated') return;
  const slot = slotName(Number(counted.fleet.get(FLEET.lastSlot) ?? 0));
  const streams = context.streams();
  await context.run((signal) => store.putWorker({ workerId, slot, ...(streams === undefined ? {} : { streams }) }, signal));
  const sentAt = context.clock.now();
  const joined = await context.writeFleet({
    set: {
      [slotAttribute('heartbeat', slot)]: 0,
      [slotAttribute('epoch', slot)]: 0,
      [slotAttribute('count', slot)]: 0,
      [slotAttribute('joinId', slot)]: workerId,
      ...(streams === undefined ? {} : { [slotAttribute('streams', slot)]: encodeStreams(streams) }),
    },
  });
  if (joined.kind !== 'updated') return;
  context.joined(slot, sentAt, joined.fleet);
}

/**
 * A heartbeat: the slot's counter moves on (conditional on the slot still existing); a leader's
 * also moves the lock counter on (conditional on still holding the lock).
 */
export function heartbeatUpdate(slot: string, beat: number, leader: { readonly workerId: string; readonly counter: number } | undefined): FleetUpdate {
  return {
    set: {
      [slotAttribute('heartbeat', slot)]: beat,
      ...(leader !== undefined ? { [FLEET.leaderCounter]: (leader.counter + 1) % COUNTER_MODULUS } : {}),
    },
    conditions: [{ attribute: slotAttribute('heartbeat', slot), exists: true }, ...(leader !== undefined ? [{ attribute: FLEET.leader, equals: leader.workerId }] : [])],
  };
}

/** The heartbeat's condition failed: the slot is gone (declared dead, or the item deleted), or the lock moved on. */
export async function heartbeatRejected(context: MembershipContext, slot: string): Promise<void> {
  const attributes = await context.run((signal) => context.store.readFleet(signal));
  const view = attributes === undefined ? undefined : parseFleet(attributes);
  if (view === undefined || !view.slots.has(slot)) {
    context.logger.warn('this worker was removed from the fleet: its leases are given up and it joins again', { workerId: context.workerId });
    context.removed();
    return;
  }
  if (view.leader !== context.workerId) context.lockLost();
}
