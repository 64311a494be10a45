import { cpus, release, type as osType } from 'node:os';

export interface MeasureOptions {
  /** Untimed runs first, so the JIT has optimised the code being measured. */
  readonly warmup: number;
  /** Timed runs; the median is reported. */
  readonly rounds: number;
}

export const DEFAULT_MEASURE: MeasureOptions = { warmup: 2, rounds: 7 };

/** Median wall time of `fn` in seconds. */
export function medianSeconds(fn: () => void, options: MeasureOptions = DEFAULT_MEASURE): number {
  for (let i = 0; i < options.warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < options.rounds; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly os: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    node: process.version,
    os: `${osType()} ${release()} (${process.arch})`,
  };
}

/** A GitHub-flavoured markdown table; the first `leftColumns` columns are left-aligned, the rest right-aligned. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[], leftColumns = 1): string {
  const align = headers.map((_, i) => (i < leftColumns ? ':--' : '--:'));
  return [headers, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** 1234567 -> "1,234,567" (rounded to 3 significant digits above 1,000). */
export function formatCount(value: number): string {
  const digits = Math.floor(Math.log10(Math.max(value, 1))) + 1;
  const rounded = digits > 3 ? Math.round(value / 10 ** (digits - 3)) * 10 ** (digits - 3) : Math.round(value);
  return rounded.toLocaleString('en-US');
}

export function formatRate(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

/** A deterministic PRNG (mulberry32) so every run measures the same records. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
