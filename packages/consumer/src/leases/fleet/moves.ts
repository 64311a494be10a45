import type { HandoffListener } from '../coordination.js';
import type { HeldLease } from '../coordinator-state.js';
import { encodeMoves, slotAttribute, type Move } from './fleet-item.js';
import type { FleetUpdate, FleetWriteResult } from './fleet-store.js';

/** What the worker's side of hand-overs needs of the coordinator. */
export interface MovesContext {
  readonly held: () => ReadonlyMap<string, HeldLease>;
  readonly handoffListeners: readonly HandoffListener[];
  /** This worker's slot in the fleet item (undefined: not in the fleet). */
  readonly slot: () => string | undefined;
  readonly writeFleet: (update: FleetUpdate) => Promise<FleetWriteResult>;
  readonly reportError: (error: unknown, source: 'takingRound') => void;
}

/**
 * The worker's side of a hand-over: the leader writes move requests into this worker's slot; each
 * moved lease's consumer is asked to stop (it checkpoints), then release() writes the lease to its
 * new owner (handOver), whose epoch is bumped so it adopts it at once. The request is cleared when
 * every move in it is done.
 */
export class Moves {
  readonly #context: MovesContext;
  /** Leases this worker was asked to hand over, by key. */
  readonly #moves = new Map<string, Move>();
  #movesSeen: string | undefined;

  constructor(context: MovesContext) {
    this.#context = context;
  }

  /** The move asked for a held lease, if any. */
  get(leaseKey: string): Move | undefined {
    return this.#moves.get(leaseKey);
  }

  /** The leader asks this worker to move leases: each one's consumer stops, then release() writes it to its new owner. */
  take(moves: readonly Move[]): void {
    const encoded = moves.length === 0 ? undefined : encodeMoves(moves);
    if (encoded === this.#movesSeen) return;
    this.#movesSeen = encoded;
    for (const move of moves) {
      if (this.#moves.has(move.leaseKey) || !this.#context.held().has(move.leaseKey)) continue;
      this.#moves.set(move.leaseKey, move);
      for (const listener of this.#context.handoffListeners) listener(move.leaseKey);
    }
    if (moves.length > 0 && moves.every((m) => !this.#moves.has(m.leaseKey))) void this.#clearMoves(encoded);
  }

  /** Writes the lease to its new owner by `write`; done either way (see #moved). */
  async handOver(leaseKey: string, move: Move, write: (to: string) => Promise<'ok' | 'leaseLost'>): Promise<'released' | 'notHeld'> {
    let handedOver = false;
    try {
      handedOver = (await write(move.to)) === 'ok';
    } finally {
      // Done either way: a failed hand-over leaves the lease ours in the table (forget() then adopts it again).
      await this.#moved(leaseKey, move, handedOver);
    }
    return handedOver ? 'released' : 'notHeld';
  }

  /** A move is done (or failed: the lease was lost meanwhile): tell its new owner, and clear the request when all are done. */
  async #moved(leaseKey: string, move: Move, handedOver: boolean): Promise<void> {
    this.#moves.delete(leaseKey);
    if (handedOver) {
      await this.#context
        .writeFleet({
          increment: { [slotAttribute('epoch', move.toSlot)]: 1 },
          conditions: [{ attribute: slotAttribute('heartbeat', move.toSlot), exists: true }],
        })
        .catch((e: unknown) => this.#context.reportError(e, 'takingRound'));
    }
    if (this.#moves.size === 0) await this.#clearMoves(this.#movesSeen);
  }

  async #clearMoves(encoded: string | undefined): Promise<void> {
    const slot = this.#context.slot();
    if (encoded === undefined || slot === undefined) return;
    const attribute = slotAttribute('moves', slot);
    // Seen again later (the same request written anew), it is looked at again.
    if (this.#movesSeen === encoded) this.#movesSeen = undefined;
    await this.#context.writeFleet({ remove: [attribute], conditions: [{ attribute, equals: encoded }] }).catch((e: unknown) => this.#context.reportError(e, 'takingRound'));
  }
}
