import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { aggregate, deaggregate } from '@kinesis-kit/aggregation';
import { isUint8Array } from '../src/bytes.js';
import { REFERENCE_HEX } from './helpers/fixtures.js';

const foreign = (hex: string): Uint8Array =>
  runInNewContext(`new Uint8Array(${JSON.stringify([...Buffer.from(hex.replace(/\s+/g, ''), 'hex')])})`) as Uint8Array;

describe('isUint8Array', () => {
  it.each([
    ['a Uint8Array', new Uint8Array(1), true],
    ['a Buffer', Buffer.alloc(1), true],
    ['a Uint8Array from another realm', foreign('00'), true],
    ['an Int8Array', new Int8Array(1), false],
    ['a Uint8ClampedArray', new Uint8ClampedArray(1), false],
    ['a DataView', new DataView(new ArrayBuffer(1)), false],
    ['an ArrayBuffer', new ArrayBuffer(1), false],
    ['an array', [1], false],
    ['a string', 'x', false],
  ])('%s: %s', (_name, value, expected) => {
    expect(isUint8Array(value)).toBe(expected);
  });

  it('lets bytes from another realm (vm, Jest) be aggregated and de-aggregated', () => {
    expect(foreign('00') instanceof Uint8Array).toBe(false);
    const out = aggregate([
      { partitionKey: 'a', data: foreign('01') },
      { partitionKey: 'b', data: foreign('02') },
    ]);
    expect(deaggregate({ data: out[0]!.data, partitionKey: 'a', sequenceNumber: '1' }).map((r) => r.data[0])).toEqual([1, 2]);
    expect(deaggregate({ data: foreign(REFERENCE_HEX), partitionKey: 'a', sequenceNumber: '1' })).toHaveLength(3);
  });
});
