/**
 * A position in a shard, as the Java KCL's ExtendedSequenceNumber: a decimal sequence number
 * plus the index of a user record inside an aggregate, or a sentinel.
 * Order: AT_TIMESTAMP < TRIM_HORIZON < LATEST < every sequence number < SHARD_END.
 */
export type Sentinel = 'AT_TIMESTAMP' | 'TRIM_HORIZON' | 'LATEST' | 'SHARD_END';

export interface Position {
  /** Decimal sequence number, or a sentinel. */
  readonly sequenceNumber: string;
  /** Index inside an aggregated record; 0 for plain records and sentinels. */
  readonly subSequenceNumber: number;
}

export const TRIM_HORIZON: Position = Object.freeze({ sequenceNumber: 'TRIM_HORIZON', subSequenceNumber: 0 });
export const LATEST: Position = Object.freeze({ sequenceNumber: 'LATEST', subSequenceNumber: 0 });
export const AT_TIMESTAMP: Position = Object.freeze({ sequenceNumber: 'AT_TIMESTAMP', subSequenceNumber: 0 });
export const SHARD_END: Position = Object.freeze({ sequenceNumber: 'SHARD_END', subSequenceNumber: 0 });

const SENTINEL_RANK: Readonly<Record<Sentinel, number>> = { AT_TIMESTAMP: 0, TRIM_HORIZON: 1, LATEST: 2, SHARD_END: 4 };
const SEQUENCE_RANK = 3;
const DECIMAL = /^(0|[1-9]\d*)$/;

export function isSentinel(sequenceNumber: string): sequenceNumber is Sentinel {
  return Object.hasOwn(SENTINEL_RANK, sequenceNumber);
}

export function isSequenceNumber(value: string): boolean {
  return DECIMAL.test(value);
}

function rank(sequenceNumber: string): number {
  return isSentinel(sequenceNumber) ? SENTINEL_RANK[sequenceNumber] : SEQUENCE_RANK;
}

/** Negative, zero or positive as `a` is before, at or after `b`. Sequence numbers compare as BigInt. */
export function comparePositions(a: Position, b: Position): number {
  const byRank = rank(a.sequenceNumber) - rank(b.sequenceNumber);
  if (byRank !== 0) return byRank;
  if (rank(a.sequenceNumber) === SEQUENCE_RANK) {
    const x = BigInt(a.sequenceNumber);
    const y = BigInt(b.sequenceNumber);
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.subSequenceNumber - b.subSequenceNumber;
}
