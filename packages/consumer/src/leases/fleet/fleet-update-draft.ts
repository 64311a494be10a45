import type { FleetValue } from './fleet-store.js';

/** The fleet update a leader's step builds up before its one conditional write. */
export interface MutableUpdate {
  readonly set: Record<string, FleetValue>;
  readonly increment: Record<string, number>;
  readonly remove: string[];
}

export function emptyUpdate(): MutableUpdate {
  return { set: {}, increment: {}, remove: [] };
}

export function increment(update: MutableUpdate, attribute: string, by: number): void {
  update.increment[attribute] = (update.increment[attribute] ?? 0) + by;
}

export function hasChanges(update: MutableUpdate): boolean {
  return Object.keys(update.set).length > 0 || Object.keys(update.increment).length > 0 || update.remove.length > 0;
}
