import { describe, expect, it } from 'vitest';
import { MIN_RATE_FACTOR, RECOVERY_PER_SECOND, THROTTLE_COALESCE_MS, TokenBucket } from '../src/token-bucket.js';

describe('TokenBucket', () => {
  it('starts full with one second of records and bytes, and refills at the rate', () => {
    const bucket = new TokenBucket(1_000, 1_000_000, 0);
    for (let i = 0; i < 1_000; i++) expect(bucket.tryTake(1, 10, 0)).toBe(true);
    expect(bucket.tryTake(1, 10, 0)).toBe(false);
    expect(bucket.msUntil(1, 10, 0)).toBe(1);
    expect(bucket.tryTake(1, 10, 1)).toBe(true);
    expect(bucket.tryTake(100, 10, 50)).toBe(false);
    expect(bucket.tryTake(100, 10, 101)).toBe(true);
  });

  it('limits bytes independently of records', () => {
    const bucket = new TokenBucket(1_000, 1_000, 0);
    expect(bucket.tryTake(1, 600, 0)).toBe(true);
    expect(bucket.tryTake(1, 600, 0)).toBe(false);
    expect(bucket.msUntil(1, 600, 0)).toBe(200);
    expect(bucket.tryTake(1, 600, 200)).toBe(true);
  });

  it('lets a cost larger than the whole bucket through when the bucket is full, then runs into debt', () => {
    const bucket = new TokenBucket(1_000, 1_000, 0);
    expect(bucket.tryTake(1, 5_000, 0)).toBe(true);
    expect(bucket.tryTake(1, 1, 0)).toBe(false);
    const wait = bucket.msUntil(1, 1, 0);
    expect(wait).toBeGreaterThanOrEqual(4_001);
    expect(wait).toBeLessThanOrEqual(4_002);
    expect(bucket.tryTake(1, 1, wait)).toBe(true);
  });

  it('halves the rate on throttling, at most once per coalescing window, down to the floor', () => {
    const bucket = new TokenBucket(1_000, 1_000_000, 0);
    expect(bucket.throttled(0)).toBe(true);
    expect(bucket.factor).toBe(0.5);
    expect(bucket.throttled(THROTTLE_COALESCE_MS - 1)).toBe(false);
    let now = 0;
    for (let i = 0; i < 10; i++) bucket.throttled((now += THROTTLE_COALESCE_MS));
    // Ten halvings would reach 0.0005; the floor holds, plus the recovery of the last 100 ms.
    expect(bucket.factor).toBeCloseTo(MIN_RATE_FACTOR, 1);
    expect(bucket.factor).toBeGreaterThanOrEqual(MIN_RATE_FACTOR);
  });

  it('recovers linearly without throttling, back to the full rate', () => {
    const bucket = new TokenBucket(1_000, 1_000_000, 0);
    bucket.throttled(0);
    bucket.tryTake(0, 0, 1_000);
    expect(bucket.factor).toBeCloseTo(0.5 + RECOVERY_PER_SECOND, 10);
    bucket.tryTake(0, 0, 3_000);
    expect(bucket.factor).toBeCloseTo(0.5 + 3 * RECOVERY_PER_SECOND, 10);
    bucket.tryTake(0, 0, 10_000);
    expect(bucket.factor).toBe(1);
  });

  it('drops the burst when throttled: after a throttle the tokens come back at the slower rate', () => {
    const bucket = new TokenBucket(1_000, 1_000_000, 0);
    bucket.throttled(0);
    expect(bucket.tryTake(1, 1, 0)).toBe(false);
    // 0.5 x 1,000 records/s (plus the small recovery) -> one record takes about 2 ms.
    expect(bucket.msUntil(1, 1, 0)).toBe(2);
  });
});
