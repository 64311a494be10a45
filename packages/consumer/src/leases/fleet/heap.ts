/** Heaps for the planner (plan.ts). */

/** A binary min-heap under `compare`. */
export class Heap<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      if (this.compare(items[i]!, items[parent]!) >= 0) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  peek(): T | undefined {
    return this.items[0];
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.siftDown();
    }
    return top;
  }

  private siftDown(): void {
    const items = this.items;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && this.compare(items[left]!, items[smallest]!) < 0) smallest = left;
      if (right < items.length && this.compare(items[right]!, items[smallest]!) < 0) smallest = right;
      if (smallest === i) return;
      [items[i], items[smallest]] = [items[smallest]!, items[i]!];
      i = smallest;
    }
  }
}

/**
 * Workers ordered by a key that changes (then by id): each push records the key it was pushed
 * with, and entries whose key is stale, or whose worker was dropped, are discarded lazily.
 */
export class VersionedHeap<W extends { readonly id: string }> {
  private readonly heap: Heap<{ readonly worker: W; readonly key: number }>;
  private readonly dropped = new Set<W>();

  constructor(private readonly keyOf: (w: W) => number) {
    this.heap = new Heap((a, b) => a.key - b.key || compareStrings(a.worker.id, b.worker.id));
  }

  push(worker: W): void {
    if (!this.dropped.has(worker)) this.heap.push({ worker, key: this.keyOf(worker) });
  }

  drop(worker: W): void {
    this.dropped.add(worker);
  }

  peek(): W | undefined {
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined) return undefined;
      if (!this.dropped.has(top.worker) && top.key === this.keyOf(top.worker)) return top.worker;
      this.heap.pop();
    }
  }
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
