import { isSequenceNumber, type Position } from '@kinesis-kit/consumer';
import { UsageError } from '../errors.js';

/** Largest sub-sequence number accepted (the KCL stores it as a long; aggregates hold far fewer records). */
const MAX_SUB_SEQUENCE = Number.MAX_SAFE_INTEGER;

/**
 * A checkpoint position as typed: `set` takes `<sequenceNumber>[:<subSequenceNumber>]` or
 * SHARD_END; `reset` takes TRIM_HORIZON, LATEST or AT_TIMESTAMP (the sentinels a lease starts at).
 * @throws UsageError (INVALID_POSITION) otherwise.
 */
export function parsePosition(action: 'set' | 'reset', raw: string): Position {
  const bad = (expected: string): never => {
    throw new UsageError(`checkpoint ${action}: the position must be ${expected}, got ${JSON.stringify(raw)}`, 'INVALID_POSITION');
  };
  if (action === 'reset') {
    if (raw === 'TRIM_HORIZON' || raw === 'LATEST' || raw === 'AT_TIMESTAMP') return { sequenceNumber: raw, subSequenceNumber: 0 };
    return bad('TRIM_HORIZON, LATEST or AT_TIMESTAMP');
  }
  if (raw === 'SHARD_END') return { sequenceNumber: raw, subSequenceNumber: 0 };
  const [sequenceNumber = '', sub = '0', ...rest] = raw.split(':');
  const subSequenceNumber = /^\d+$/.test(sub) ? Number(sub) : Number.NaN;
  if (rest.length > 0 || !isSequenceNumber(sequenceNumber) || !Number.isSafeInteger(subSequenceNumber) || subSequenceNumber > MAX_SUB_SEQUENCE) {
    return bad('a decimal sequence number, optionally with :<subSequenceNumber> (e.g. 4959...2146:3), or SHARD_END');
  }
  return { sequenceNumber, subSequenceNumber };
}
