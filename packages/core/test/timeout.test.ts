import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { systemClock, withTimeout, type Clock } from '../src/index.js';

describe('withTimeout', () => {
  it('settles by the deadline with a retriable TimeoutError when the work never answers (black hole)', async () => {
    const blackHole = new Promise<never>(() => undefined);
    const error = await withTimeout(systemClock, 20, undefined, () => blackHole).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('TimeoutError');
  });

  it('passes a signal that aborts at the deadline to the work', async () => {
    let seen: AbortSignal | undefined;
    await withTimeout(systemClock, 10, undefined, (signal) => {
      seen = signal;
      return new Promise<never>(() => undefined);
    }).catch(() => undefined);
    expect(seen?.aborted).toBe(true);
  });

  it('rejects with the parent reason when the parent aborts first', async () => {
    const parent = new AbortController();
    const pending = withTimeout(systemClock, 60_000, parent.signal, () => new Promise<never>(() => undefined));
    parent.abort(new Error('halted'));
    await expect(pending).rejects.toThrow('halted');
  });

  it('returns the work outcome and leaves no listener on a long-lived parent signal', async () => {
    const parent = new AbortController();
    for (let i = 0; i < 50; i++) {
      expect(await withTimeout(systemClock, 1_000, parent.signal, () => Promise.resolve(i))).toBe(i);
      await withTimeout(systemClock, 1_000, parent.signal, () => Promise.reject(new Error('no'))).catch(() => undefined);
    }
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });

  it('works with a clock that has only now() and sleep() (no timer())', async () => {
    const sleepOnly: Clock = { now: systemClock.now, sleep: systemClock.sleep };
    const error = await withTimeout(sleepOnly, 20, undefined, () => new Promise<never>(() => undefined)).catch((e: unknown) => e);
    expect((error as Error).name).toBe('TimeoutError');
    expect(await withTimeout(sleepOnly, 1_000, undefined, () => Promise.resolve('answered'))).toBe('answered');
  });
});
