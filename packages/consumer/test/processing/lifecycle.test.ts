import { describe, expect, it } from 'vitest';
import { SHARD_CONSUMER_TRANSITIONS, isLegalTransition, type ShardConsumerState } from '../../src/processing/lifecycle.js';

const STATES = Object.keys(SHARD_CONSUMER_TRANSITIONS) as ShardConsumerState[];
const TERMINAL_CALLS: readonly ShardConsumerState[] = ['shardEnding', 'shuttingDown', 'losingLease'];

/** Every path from `from` to finished, as lists of states. */
function paths(from: ShardConsumerState, seen: readonly ShardConsumerState[] = []): ShardConsumerState[][] {
  if (from === 'finished') return [[...seen, from]];
  return SHARD_CONSUMER_TRANSITIONS[from].flatMap((to) => paths(to, [...seen, from]));
}

describe('shard consumer lifecycle table', () => {
  it.each([
    ['created', 'initializing', true],
    ['initializing', 'processing', true],
    ['processing', 'recordingChildShards', true],
    ['recordingChildShards', 'shardEnding', true],
    ['processing', 'losingLease', true],
    ['processing', 'shuttingDown', true],
    ['processing', 'shardEnding', false],
    ['shardEnding', 'losingLease', false],
    ['shuttingDown', 'processing', false],
    ['losingLease', 'shuttingDown', false],
    ['finished', 'created', false],
  ] as const)('%s -> %s is legal: %s', (from, to, legal) => {
    expect(isLegalTransition(from, to)).toBe(legal);
  });

  it('has no cycles and every state reaches finished', () => {
    const all = paths('created');
    expect(all.length).toBeGreaterThan(0);
    for (const path of all) expect(new Set(path).size).toBe(path.length);
    for (const state of STATES) expect(all.some((path) => path.includes(state))).toBe(true);
  });

  it('enters at most one terminal processor call on every path, and only after initializing', () => {
    for (const path of paths('created')) {
      const terminal = path.filter((state) => TERMINAL_CALLS.includes(state));
      expect(terminal.length).toBeLessThanOrEqual(1);
      if (terminal.length === 1) expect(path).toContain('initializing');
    }
  });

  it('calls shardEnded only after the children were recorded', () => {
    for (const path of paths('created').filter((p) => p.includes('shardEnding'))) {
      expect(path.indexOf('recordingChildShards')).toBe(path.indexOf('shardEnding') - 1);
    }
  });
});
