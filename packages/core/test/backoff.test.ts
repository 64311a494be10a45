import { describe, expect, it } from 'vitest';
import { AbortedError, OperationFailedError, exponentialBackoff, retry, type Clock } from '../src/index.js';

/** A clock whose sleeps advance time at once and are recorded. */
function fakeClock(start = 1_000): Clock & { sleeps: number[] } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms, signal) => {
      if (signal?.aborted === true) throw new AbortedError();
      sleeps.push(ms);
      now += ms;
    },
  };
}

const throttled = () => Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
const fatal = () => Object.assign(new Error('no such stream'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } });

describe('exponentialBackoff', () => {
  it('grows by the multiplier up to the ceiling, with no jitter', () => {
    const policy = exponentialBackoff({ initialDelayMs: 100, maxDelayMs: 1_000, jitter: 'none' });
    expect([1, 2, 3, 4, 5, 6].map((n) => policy.delayMs(n))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('draws full and equal jitter from the injected random source', () => {
    const full = exponentialBackoff({ initialDelayMs: 100, maxDelayMs: 1_000, random: () => 0.5 });
    const equal = exponentialBackoff({ initialDelayMs: 100, maxDelayMs: 1_000, jitter: 'equal', random: () => 0 });
    expect(full.delayMs(3)).toBe(200);
    expect(equal.delayMs(3)).toBe(200);
  });
});

describe('retry', () => {
  const backoff = exponentialBackoff({ initialDelayMs: 10, maxDelayMs: 80, jitter: 'none' });

  it('retries retriable failures with the policy delays, then succeeds', async () => {
    const clock = fakeClock();
    let calls = 0;
    const value = await retry(async () => (++calls < 4 ? Promise.reject(throttled()) : 'done'), { backoff, clock });
    expect(value).toBe('done');
    expect(clock.sleeps).toEqual([10, 20, 40]);
  });

  it('fails at once on a fatal error, with the attempt and the cause', async () => {
    const clock = fakeClock();
    const error = await retry(() => Promise.reject(fatal()), { backoff, clock, description: 'put' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationFailedError);
    expect(error).toMatchObject({ code: 'NON_RETRIABLE', retriable: false, causeCode: 'ResourceNotFoundException' });
    expect((error as OperationFailedError).attempts).toHaveLength(1);
    expect((error as OperationFailedError).cause).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(clock.sleeps).toEqual([]);
  });

  it('stops after maxAttempts with every attempt recorded', async () => {
    const clock = fakeClock();
    const error = (await retry(() => Promise.reject(throttled()), { backoff, clock, maxAttempts: 3 }).catch((e: unknown) => e)) as OperationFailedError;
    expect(error).toMatchObject({ code: 'RETRIES_EXHAUSTED', retriable: true });
    expect(error.attempts.map((a) => a.errorCode)).toEqual(Array(3).fill('ProvisionedThroughputExceededException'));
  });

  it('does not start a retry whose delay would pass the deadline', async () => {
    const clock = fakeClock(0);
    const error = (await retry(() => Promise.reject(throttled()), { backoff, clock, deadline: 35 }).catch((e: unknown) => e)) as OperationFailedError;
    expect(clock.sleeps).toEqual([10, 20]);
    expect(error.attempts).toHaveLength(3);
  });

  it('rejects with AbortedError when the signal aborts', async () => {
    const controller = new AbortController();
    const clock = fakeClock();
    const run = retry(
      async () => {
        controller.abort();
        throw throttled();
      },
      { backoff, clock, signal: controller.signal },
    );
    await expect(run).rejects.toBeInstanceOf(AbortedError);
  });

  it('reports each failed attempt with its class', async () => {
    const seen: string[] = [];
    let calls = 0;
    await retry(async () => (++calls < 3 ? Promise.reject(throttled()) : 1), {
      backoff,
      clock: fakeClock(),
      onFailedAttempt: (attempt, errorClass) => seen.push(`${attempt.errorCode}:${errorClass}`),
    });
    expect(seen).toEqual(Array(2).fill('ProvisionedThroughputExceededException:throttled'));
  });
});
