import type { Metrics } from '@kinesis-kit/core';
import type { ChangeListener } from './coordination.js';
import type { CoordinatorState } from './coordinator-state.js';
import { diffHeld } from './diagnostics.js';
import { LEASE_METRICS } from './metric-names.js';

/** Reports what changed for held leases between two states: metrics, then the listeners. */
export function publishHeldChanges(before: CoordinatorState, after: CoordinatorState, metrics: Metrics, listeners: readonly ChangeListener[]): void {
  const changes = diffHeld(before, after);
  if (changes.length === 0) return;
  metrics.gauge(LEASE_METRICS.leasesHeld, after.held.size);
  for (const change of changes) {
    if (change.kind === 'lost') metrics.count(LEASE_METRICS.leasesLost);
    if (change.kind === 'released' || change.kind === 'finished') metrics.count(LEASE_METRICS.leasesReleased);
  }
  for (const listener of listeners) listener(changes, after);
}
