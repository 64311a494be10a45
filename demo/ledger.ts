// Accounting of the demo (and the soak test): which records were acknowledged by the producer,
// which were delivered to processors, where and how often. Everything the summary says is
// derived here, from values the producer and the workers reported.
import type { Delivery } from './protocol.js';

export type DuplicateReason =
  /** The same user record stored twice in the stream: the producer retried a write whose answer was lost. */
  | 'storedTwice'
  /** Delivered again by another worker after the worker that had it was SIGKILLed (resumed from its last checkpoint). */
  | 'afterKill'
  /** Delivered again after the shard's lease moved (taken, stolen, lost or restarted) in a worker still alive. */
  | 'leaseMoved'
  /** Delivered twice in the same shard consumer session: no explanation (a defect). */
  | 'unexplained';

export interface DeliveryRecord {
  readonly workerId: string;
  readonly shardId: string;
  readonly session: number;
  readonly sequenceNumber: string;
  readonly subSequenceNumber: number;
  readonly at: number;
}

export interface LedgerReport {
  readonly acknowledged: number;
  readonly failed: number;
  readonly consumedUnique: number;
  readonly deliveries: number;
  readonly lost: number;
  readonly duplicates: Readonly<Record<DuplicateReason, number>>;
  readonly orderViolations: number;
  readonly latencyP50: number | undefined;
  readonly latencyP99: number | undefined;
}

export class Ledger {
  private readonly acked = new Map<string, number>();
  private readonly delivered = new Map<string, DeliveryRecord[]>();
  /** Highest per-key sequence first delivered so far, per key: a lower one later is an order violation. */
  private readonly highestFirst = new Map<number, number>();
  private readonly latencies: number[] = [];
  private readonly batches: { readonly workerId: string; readonly shardId: string; readonly at: number }[] = [];
  private failedCount = 0;
  private violations = 0;
  private deliveryCount = 0;
  firstDeliveryAt: number | undefined;
  lastFirstDeliveryAt: number | undefined;

  /** The producer acknowledged (durably wrote) key `k`'s record `s`. */
  acknowledge(k: number, s: number, at: number): void {
    this.acked.set(`${k}:${s}`, at);
  }

  /** The producer gave up on a record (it settled with an error). */
  fail(): void {
    this.failedCount += 1;
  }

  /** A processor was given these records. */
  deliver(workerId: string, shardId: string, session: number, at: number, records: readonly Delivery[]): void {
    this.batches.push({ workerId, shardId, at });
    for (const [k, s, t, sequenceNumber, subSequenceNumber] of records) {
      this.deliveryCount += 1;
      const id = `${k}:${s}`;
      const entry: DeliveryRecord = { workerId, shardId, session, sequenceNumber, subSequenceNumber, at };
      const earlier = this.delivered.get(id);
      if (earlier !== undefined) {
        earlier.push(entry);
        continue;
      }
      this.delivered.set(id, [entry]);
      this.latencies.push(at - t);
      this.firstDeliveryAt ??= at;
      this.lastFirstDeliveryAt = at;
      const highest = this.highestFirst.get(k) ?? -1;
      if (s < highest) this.violations += 1;
      else this.highestFirst.set(k, s);
    }
  }

  get acknowledgedCount(): number {
    return this.acked.size;
  }

  get consumedCount(): number {
    return this.delivered.size;
  }

  /** Acknowledged records not delivered yet. */
  missing(): string[] {
    return [...this.acked.keys()].filter((id) => !this.delivered.has(id));
  }

  /** Why each extra delivery happened; `killed` is the worker SIGKILLed, if any. */
  duplicates(killed?: string): Record<DuplicateReason, number> {
    const counts: Record<DuplicateReason, number> = { storedTwice: 0, afterKill: 0, leaseMoved: 0, unexplained: 0 };
    for (const list of this.delivered.values()) {
      for (let i = 1; i < list.length; i += 1) counts[classify(list.slice(0, i), list[i]!, killed)] += 1;
    }
    return counts;
  }

  /** Every duplicate delivery with its reason (for tests that explain each one). */
  duplicateDetails(killed?: string): { id: string; reason: DuplicateReason; deliveries: readonly DeliveryRecord[] }[] {
    const details: { id: string; reason: DuplicateReason; deliveries: readonly DeliveryRecord[] }[] = [];
    for (const [id, list] of this.delivered) {
      for (let i = 1; i < list.length; i += 1) details.push({ id, reason: classify(list.slice(0, i), list[i]!, killed), deliveries: list });
    }
    return details;
  }

  /** Batches processed on `shardId`, in arrival order. */
  batchesOf(shardId: string): readonly { readonly workerId: string; readonly at: number }[] {
    return this.batches.filter((b) => b.shardId === shardId);
  }

  /** Forgets everything (the soak measures the heap without the ledger's own contents). */
  clear(): void {
    this.acked.clear();
    this.delivered.clear();
    this.highestFirst.clear();
    this.latencies.length = 0;
    this.batches.length = 0;
  }

  report(killed?: string): LedgerReport {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      acknowledged: this.acked.size,
      failed: this.failedCount,
      consumedUnique: this.delivered.size,
      deliveries: this.deliveryCount,
      lost: this.missing().length,
      duplicates: this.duplicates(killed),
      orderViolations: this.violations,
      latencyP50: percentile(sorted, 0.5),
      latencyP99: percentile(sorted, 0.99),
    };
  }
}

function classify(earlier: readonly DeliveryRecord[], next: DeliveryRecord, killed: string | undefined): DuplicateReason {
  const sameRecord = earlier.filter((e) => e.sequenceNumber === next.sequenceNumber && e.subSequenceNumber === next.subSequenceNumber);
  if (sameRecord.length === 0) return 'storedTwice';
  if (sameRecord.some((e) => e.workerId === next.workerId && e.shardId === next.shardId && e.session === next.session)) return 'unexplained';
  return sameRecord.some((e) => e.workerId === killed) ? 'afterKill' : 'leaseMoved';
}

function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
