/**
 * A binary min-heap of items by due time: the retry queue. One producer timer wakes at the
 * earliest due time instead of one timer per waiting record.
 */
export class TimerQueue<T> {
  readonly #due: number[] = [];
  readonly #items: T[] = [];

  get length(): number {
    return this.#items.length;
  }

  /** Due time of the earliest item, or Infinity when empty. */
  get nextDue(): number {
    return this.#due.length === 0 ? Number.POSITIVE_INFINITY : this.#due[0]!;
  }

  add(due: number, item: T): void {
    const due_ = this.#due;
    const items = this.#items;
    let i = items.length;
    due_.push(due);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (due_[parent]! <= due) break;
      due_[i] = due_[parent]!;
      items[i] = items[parent]!;
      i = parent;
    }
    due_[i] = due;
    items[i] = item;
  }

  /** Removes and returns the earliest item if it is due at `now`. */
  takeDue(now: number): T | undefined {
    if (this.#due.length === 0 || this.#due[0]! > now) return undefined;
    return this.#pop();
  }

  /** Removes and returns every item, earliest first. */
  drain(): T[] {
    const out: T[] = [];
    while (this.#items.length > 0) out.push(this.#pop());
    return out;
  }

  #pop(): T {
    const due = this.#due;
    const items = this.#items;
    const top = items[0]!;
    const lastDue = due.pop()!;
    const lastItem = items.pop()!;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && due[right]! < due[left]! ? right : left;
        if (due[child]! >= lastDue) break;
        due[i] = due[child]!;
        items[i] = items[child]!;
        i = child;
      }
      due[i] = lastDue;
      items[i] = lastItem;
    }
    return top;
  }
}
