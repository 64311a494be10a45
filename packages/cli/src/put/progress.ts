import type { Writable } from 'node:stream';

export interface PutCounts {
  lines: number;
  skipped: number;
  rejected: number;
  written: number;
  failed: number;
  requests: number;
  kinesisRecords: number;
}

export function newCounts(): PutCounts {
  return { lines: 0, skipped: 0, rejected: 0, written: 0, failed: 0, requests: 0, kinesisRecords: 0 };
}

/** How often the progress line is redrawn. */
const PROGRESS_INTERVAL_MS = 250;

/** A progress line redrawn in place (carriage return) on a terminal; `stop()` ends it with a newline. */
export function startProgress(out: Writable, counts: PutCounts): { stop: () => void } {
  const draw = (): void => void out.write(`\r\x1b[Kread ${counts.lines} lines, written ${counts.written}, failed ${counts.failed + counts.rejected}, in flight ${counts.lines - counts.skipped - counts.rejected - counts.written - counts.failed}`);
  const timer = setInterval(draw, PROGRESS_INTERVAL_MS);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      draw();
      out.write('\n');
    },
  };
}

/** The final summary line. */
export function summary(streamName: string, counts: PutCounts, elapsedMs: number): string {
  const perSecond = elapsedMs > 0 ? Math.round((counts.written * 1_000) / elapsedMs) : counts.written;
  return (
    `put ${streamName}: ${counts.written} written, ${counts.failed} failed, ${counts.rejected} rejected, ${counts.skipped} empty lines skipped ` +
    `(${counts.lines} lines) in ${(elapsedMs / 1_000).toFixed(1)} s, ${perSecond} records/s; ` +
    `${counts.kinesisRecords} Kinesis records in ${counts.requests} PutRecords requests\n`
  );
}
