import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../src/bounded-cache.js';

describe('BoundedCache', () => {
  it('never holds more than its capacity', () => {
    const cache = new BoundedCache<number>(100);
    for (let i = 0; i < 1_000; i++) {
      cache.set(`k${i}`, i);
      expect(cache.size).toBeLessThanOrEqual(100);
    }
  });

  it('keeps entries that are used and drops those that are not', () => {
    const cache = new BoundedCache<number>(10);
    cache.set('hot', 1);
    for (let i = 0; i < 50; i++) {
      cache.set(`cold${i}`, i);
      expect(cache.get('hot')).toBe(1);
    }
    expect(cache.get('cold0')).toBeUndefined();
    expect(cache.get('cold49')).toBe(49);
  });
});
