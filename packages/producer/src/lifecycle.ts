import type { ProducerState } from './types.js';

/**
 * The producer's legal state transitions. `open`: put() accepts records. `closing`: close()
 * was called; puts are refused, buffered records are flushed and settled. `closed`: everything
 * settled, timers stopped, an owned SDK client destroyed.
 */
export const LIFECYCLE: Readonly<Record<ProducerState, readonly ProducerState[]>> = {
  open: ['closing'],
  closing: ['closed'],
  closed: [],
};

export function canTransition(from: ProducerState, to: ProducerState): boolean {
  return LIFECYCLE[from].includes(to);
}
