/**
 * When this worker first saw each watched value as it is now, on its own clock. A value that has
 * not changed for a failover time is stale: its writer has stopped (the Java KCL's rule for lease
 * counters, applied here to heartbeats). A sighting is never earlier than the write that made the
 * value, so a value judged stale was written at least that long ago, whoever wrote it and whatever
 * the writer's clock says.
 */
export class Sightings {
  readonly #seen = new Map<string, { readonly value: unknown; readonly since: number }>();

  observe(key: string, value: unknown, at: number): void {
    const previous = this.#seen.get(key);
    if (previous === undefined || previous.value !== value) this.#seen.set(key, { value, since: at });
  }

  /** How long `key` has shown its current value (0 when never seen). */
  unchangedFor(key: string, now: number): number {
    const seen = this.#seen.get(key);
    return seen === undefined ? 0 : now - seen.since;
  }

  value(key: string): unknown {
    return this.#seen.get(key)?.value;
  }

  /** Forgets keys not in `keep` (slots that left). */
  retain(keep: ReadonlySet<string>): void {
    for (const key of this.#seen.keys()) if (!keep.has(key)) this.#seen.delete(key);
  }
}
