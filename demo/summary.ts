// The demo's closing table and its live progress line.
import type { LedgerReport } from './ledger.js';

export interface Recovery {
  readonly worker: string;
  readonly shards: number;
  /** Kill -> first record processed on the dead worker's shards by another worker, worst shard. */
  readonly killToFirstMs: number | undefined;
  /** Last record the dead worker processed on a shard -> first on it after, by another worker, worst shard. */
  readonly gapMs: number | undefined;
}

export interface SummaryInput {
  readonly report: LedgerReport;
  readonly produceSeconds: number;
  readonly consumeSeconds: number;
  readonly recovery: Recovery | undefined;
  readonly split: string | undefined;
  readonly workerErrors: ReadonlyMap<string, number>;
  readonly drained: boolean;
  /** Records read that this run did not write (skipped; only on a stream with older data). */
  readonly foreign: number;
}

const ms = (value: number | undefined): string => (value === undefined ? 'n/a' : `${Math.round(value).toLocaleString('en-US')} ms`);
const n = (value: number): string => value.toLocaleString('en-US');

export function summaryTable(input: SummaryInput): string {
  const { report: r, recovery } = input;
  const dup = r.duplicates;
  const duplicates = dup.storedTwice + dup.afterKill + dup.leaseMoved + dup.unexplained;
  const rows: [string, string][] = [
    ['user records produced (acknowledged)', n(r.acknowledged)],
    ['user records failed (put rejected)', n(r.failed)],
    ['user records consumed (distinct)', n(r.consumedUnique)],
    ['lost (acknowledged, never consumed)', n(r.lost)],
    ['deliveries (including duplicates)', n(r.deliveries)],
    ['duplicates', n(duplicates)],
    ['  redelivered after the SIGKILL (from last checkpoint)', n(dup.afterKill)],
    ['  redelivered after a lease moved', n(dup.leaseMoved)],
    ['  stored twice (producer re-sent: lost answer or split)', n(dup.storedTwice)],
    ['  unexplained', n(dup.unexplained)],
    ['per-key order violations', n(r.orderViolations)],
    ['produce throughput', `${n(Math.round(r.acknowledged / input.produceSeconds))} records/s`],
    ['consume throughput', `${n(Math.round(r.consumedUnique / Math.max(input.consumeSeconds, 0.001)))} records/s`],
    ['put-to-process latency p50', ms(r.latencyP50)],
    ['put-to-process latency p99', ms(r.latencyP99)],
    ['shard split', input.split ?? 'not asked'],
  ];
  if (recovery === undefined) rows.push(['worker killed', 'not asked']);
  else {
    rows.push(['worker killed (SIGKILL)', `${recovery.worker}, holding ${recovery.shards} shard(s)`]);
    rows.push(['  recovery: kill -> first record on its shards elsewhere', ms(recovery.killToFirstMs)]);
    rows.push(['  recovery: its last record -> first elsewhere', ms(recovery.gapMs)]);
  }
  const errors = [...input.workerErrors].map(([source, count]) => `${source} ${count}`).join(', ');
  rows.push(['consumer errors reported (retried)', errors === '' ? '0' : errors]);
  rows.push(['records of other runs skipped', n(input.foreign)]);
  rows.push(['drained before the deadline', input.drained ? 'yes' : 'NO']);
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
  const rule = `  ${'-'.repeat(width + 20)}`;
  return [rule, ...lines, rule].join('\n');
}

/** A progress line: rewritten in place on a TTY, printed every few seconds otherwise. */
export class Progress {
  private lastPrinted = 0;
  constructor(private readonly out: NodeJS.WriteStream) {}

  update(line: string): void {
    if (this.out.isTTY) {
      this.out.write(`\r${line}\x1b[K`);
      return;
    }
    if (Date.now() - this.lastPrinted < 5_000) return;
    this.lastPrinted = Date.now();
    this.out.write(`${line}\n`);
  }

  /** Prints a line of its own (an event), without breaking the progress line. */
  note(line: string): void {
    this.out.write(this.out.isTTY ? `\r${line}\x1b[K\n` : `${line}\n`);
  }

  end(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}
