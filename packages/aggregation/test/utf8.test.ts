import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8Length } from '@kinesis-kit/aggregation';

describe('utf8Length', () => {
  it.each([
    ['', 0],
    ['a', 1],
    ['é', 2],
    ['€', 3],
    ['😀', 4],
    ['\uD800', 3],
    ['\uD800a', 4],
    ['\uDC00\uD800', 6],
    ['a😀é€', 10],
  ])('%j is %i bytes', (text, expected) => {
    expect(utf8Length(text)).toBe(expected);
  });

  it('matches the UTF-8 encoder on any string, lone surrogates included', () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) })), (text) => {
        expect(utf8Length(text)).toBe(encoder.encode(text).length);
      }),
      { numRuns: 500 },
    );
  });
});
