/** Serialises work per key: work on one lease (renew, checkpoint, release) never races its own counter. */
export class KeyedLocks {
  readonly #locks = new Map<string, Promise<unknown>>();

  has(key: string): boolean {
    return this.#locks.has(key);
  }

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.#locks.set(key, settled);
    void settled.then(() => {
      if (this.#locks.get(key) === settled) this.#locks.delete(key);
    });
    return next;
  }
}
