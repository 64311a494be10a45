import { startTimer, type Clock, type Logger } from '@kinesis-kit/core';
import type { CoordinationSettings } from '../coordination.js';
import type { CoordinatorState } from '../coordinator-state.js';

/** What a worker's life needs of its coordinator. */
export interface LifeContext {
  readonly workerId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: Pick<CoordinationSettings, 'failoverTimeMillis' | 'leaseLossMarginMillis'>;
  readonly halted: () => boolean;
  readonly apply: (transition: (state: CoordinatorState) => CoordinatorState) => void;
  /** No heartbeat succeeded in time: every held lease (and leadership) is given up. */
  readonly ended: () => void;
}

/**
 * A worker's life: its held leases are consumed until its last successful heartbeat's send time
 * + failoverTimeMillis - leaseLossMarginMillis, when the leader may judge it dead at the earliest
 * (see FleetCoordinator). A timer gives every lease up at that moment unless a heartbeat succeeds
 * first.
 */
export class Life {
  readonly #context: LifeContext;
  /** When this worker's leases end unless a heartbeat succeeds first. */
  #ends = 0;
  #cancelTimer: (() => void) | undefined;

  constructor(context: LifeContext) {
    this.#context = context;
  }

  get ends(): number {
    return this.#ends;
  }

  /** A heartbeat sent at `sentAt` succeeded: every held lease lives until sentAt + failover - margin. */
  alive(sentAt: number): void {
    const { clock, settings } = this.#context;
    this.#ends = sentAt + settings.failoverTimeMillis - settings.leaseLossMarginMillis;
    this.#cancelTimer?.();
    this.#cancelTimer = startTimer(clock, Math.max(0, this.#ends - clock.now()), () => this.#timedOut());
    this.#context.apply((s) => withRenewedAt(s, sentAt));
  }

  /** Stops the timer (halt). */
  cancel(): void {
    this.#cancelTimer?.();
  }

  #timedOut(): void {
    if (this.#context.halted() || this.#context.clock.now() < this.#ends) return;
    this.#context.logger.warn('no heartbeat succeeded in time: every lease is given up before another worker may take it', { workerId: this.#context.workerId });
    this.#context.ended();
  }
}

/** Every held lease lives from the same heartbeat. */
function withRenewedAt(state: CoordinatorState, renewedAt: number): CoordinatorState {
  if (state.held.size === 0) return state;
  const held = new Map([...state.held].map(([key, h]) => [key, { ...h, renewedAt }]));
  return { ...state, held };
}
