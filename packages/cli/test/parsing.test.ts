// The CLI's pure pieces, table-driven: positions, partition keys from lines, data encoding,
// durations and where a tail starts. The commands themselves are tested end to end in the other files.
import { describe, expect, it } from 'vitest';
import { parseStart } from '../src/commands/tail.js';
import { parsePosition } from '../src/leases/position.js';
import { LineRejected, partitionKeyOf } from '../src/put/line-records.js';
import { formatDuration } from '../src/table.js';
import { encodeData } from '../src/tail/output.js';
import { initialShards } from '../src/tail/session.js';

const SEQ = '49590338271490256608559692538361571095921575989136588898';

describe('parsing and formatting', () => {
  it('checkpoint positions: set takes a sequence number[:sub] or SHARD_END, reset the start sentinels', () => {
    expect(parsePosition('set', SEQ)).toEqual({ sequenceNumber: SEQ, subSequenceNumber: 0 });
    expect(parsePosition('set', `${SEQ}:7`)).toEqual({ sequenceNumber: SEQ, subSequenceNumber: 7 });
    expect(parsePosition('set', 'SHARD_END')).toEqual({ sequenceNumber: 'SHARD_END', subSequenceNumber: 0 });
    for (const sentinel of ['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP']) expect(parsePosition('reset', sentinel).sequenceNumber).toBe(sentinel);
    for (const bad of ['', 'TRIM_HORIZON', '012', '1.5', `${SEQ}:`, `${SEQ}:-1`, `${SEQ}:1:2`, ' 1', '1e5']) {
      expect(() => parsePosition('set', bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_POSITION', exitCode: 2 }));
    }
    for (const bad of [SEQ, 'SHARD_END', 'latest']) expect(() => parsePosition('reset', bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_POSITION' }));
  });

  it('tail --from: sentinels or an ISO 8601 timestamp', () => {
    expect(parseStart('LATEST')).toEqual({ type: 'LATEST' });
    expect(parseStart('2026-12-02T09:00:00Z')).toEqual({ type: 'AT_TIMESTAMP', timestamp: new Date('2026-12-02T09:00:00Z') });
    for (const bad of ['now', '1700000000', '2026-13-45T99:00:00Z', 'trim_horizon']) expect(() => parseStart(bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_POSITION' }));
  });

  it('partition keys from a JSON field (dot path), random without one; bad lines rejected with the reason', () => {
    expect(partitionKeyOf('{"order":{"customer":"c1"}}', 'order.customer')).toBe('c1');
    expect(partitionKeyOf('{"id":42}', 'id')).toBe('42');
    expect(partitionKeyOf('anything', undefined)).toMatch(/^[0-9a-f-]{36}$/);
    const rejected: [string, string][] = [
      ['not json', 'not JSON'],
      ['{"a":1}', 'no field id'],
      ['{"id":""}', 'not a non-empty string or a number'],
      ['{"id":{"x":1}}', 'not a non-empty string or a number'],
      ['{"id":null}', 'not a non-empty string or a number'],
      ['[1,2]', 'no field id'],
    ];
    for (const [line, reason] of rejected) {
      expect(() => partitionKeyOf(line, 'id'), line).toThrow(LineRejected);
      expect(() => partitionKeyOf(line, 'id'), line).toThrow(reason);
    }
  });

  it('data is UTF-8 text when valid, base64 otherwise', () => {
    expect(encodeData(new TextEncoder().encode('héllo ✓'))).toEqual({ encoding: 'utf8', data: 'héllo ✓' });
    expect(encodeData(Uint8Array.of(0xc3, 0x28))).toEqual({ encoding: 'base64', data: 'wyg=' });
    const view = Uint8Array.of(0, 0xff, 0xfe, 0).subarray(1, 3);
    expect(encodeData(view)).toEqual({ encoding: 'base64', data: '//4=' });
  });

  it('durations', () => {
    expect([850, 12_345, 245_000, 7_980_000].map(formatDuration)).toEqual(['850ms', '12.3s', '4m05s', '2h13m']);
  });

  it('a tail starts at the open shards for LATEST, else at the roots of the listed shard tree', () => {
    const shard = (shardId: string, parents: string[], closed: boolean) => ({
      shardId,
      ...(parents[0] === undefined ? {} : { parentShardId: parents[0] }),
      ...(parents[1] === undefined ? {} : { adjacentParentShardId: parents[1] }),
      startingHashKey: 0n,
      endingHashKey: 1n,
      startingSequenceNumber: '1',
      ...(closed ? { endingSequenceNumber: '2' } : {}),
    });
    // shard-0 (past retention) -> shard-1, shard-2 (merged into shard-3); shard-4 independent.
    const shards = [shard('shard-1', ['shard-0'], true), shard('shard-2', [], true), shard('shard-3', ['shard-1', 'shard-2'], false), shard('shard-4', [], false)];
    expect(initialShards(shards, { type: 'LATEST' }).map((s) => s.shardId)).toEqual(['shard-3', 'shard-4']);
    expect(initialShards(shards, { type: 'TRIM_HORIZON' }).map((s) => s.shardId)).toEqual(['shard-1', 'shard-2', 'shard-4']);
  });
});
