import { isUint8Array } from './bytes.js';
import { AGGREGATED_PARTITION_KEY, AGGREGATION_OVERHEAD } from './constants.js';
import { AggregateContents } from './contents.js';
import { encodeAggregate } from './encode.js';
import { InvalidRecordError } from './errors.js';
import { isValidExplicitHashKey, parseExplicitHashKey, partitionKeyToHashKey } from './hash-key.js';
import { type KeySlot, keySlot, newOwner } from './key-slots.js';
import { type AggregatorOptions, resolveAggregatorOptions } from './options.js';
import type { OuterRecord, UserRecord } from './types.js';
import { varintSize } from './varint.js';

/**
 * Collects user records into one KPL aggregated record with exact size bookkeeping: every
 * tryAdd() knows, from varint lengths alone, the byte length the aggregate would have, so
 * "does it fit?" never re-encodes anything. Encoding happens once, in build().
 *
 * It does not route: put only records predicted for the same shard in one aggregator (see
 * ShardMap and aggregateByShard), or the Java KCL may drop the members that belong elsewhere.
 */
export class RecordAggregator {
  readonly #maxSize: number;
  readonly #maxCount: number;
  /** Token of the current aggregate in the shared partition key slots (see key-slots.ts). */
  #owner = newOwner();
  readonly #explicitHashKeyIndex = new Map<string, number>();
  readonly #c = new AggregateContents();

  /** @throws InvalidOptionError (code INVALID_OPTION) for a limit outside its range. */
  constructor(options?: AggregatorOptions) {
    const { maxSize, maxCount } = resolveAggregatorOptions(options);
    this.#maxSize = maxSize;
    this.#maxCount = maxCount;
  }

  /** User records held. */
  get count(): number {
    return this.#c.count;
  }

  /** Exact byte length of build().data if built now: 0 empty, the raw data for one record, 20 + body for more. */
  get dataSize(): number {
    const c = this.#c;
    return c.count === 0 ? 0 : c.count === 1 ? c.recordData[0]!.length : AGGREGATION_OVERHEAD + c.bodySize;
  }

  /** UTF-8 byte length of build().partitionKey if built now (counts towards the PutRecords limits). */
  get partitionKeySize(): number {
    const c = this.#c;
    return c.count === 0 ? 0 : c.count === 1 ? c.partitionKeyBytes[0]! : AGGREGATED_PARTITION_KEY.length;
  }

  /**
   * Adds `record` if the aggregate stays within maxSize and maxCount; otherwise returns false
   * and changes nothing. An empty aggregator always accepts, so a record larger than maxSize
   * goes out alone (whether Kinesis takes it is for the caller to check against its limits).
   * The data is referenced, not copied, until build(). `slot`, when given, must be
   * keySlot(record.partitionKey) (a caller that looked it up already saves a cache lookup).
   * @throws InvalidRecordError for an invalid partition key, explicit hash key or data.
   */
  tryAdd(record: UserRecord, slot?: KeySlot): boolean {
    const { partitionKey, explicitHashKey, data } = record;
    if (!isUint8Array(data)) {
      throw new InvalidRecordError('INVALID_DATA', 'record data must be a Uint8Array');
    }
    const c = this.#c;
    slot ??= keySlot(partitionKey);
    const pkIsNew = slot.owner !== this.#owner;
    const pkIndex = pkIsNew ? c.keyCount : slot.index;
    // Each new table entry costs tag + length + bytes.
    let added = pkIsNew ? 1 + varintSize(slot.utf8Length) + slot.utf8Length : 0;
    let ehkIndex = -1;
    let ehkIsNew = false;
    if (explicitHashKey !== undefined) {
      ehkIndex = this.#explicitHashKeyIndex.get(explicitHashKey) ?? -1;
      if (ehkIndex < 0) {
        if (!isValidExplicitHashKey(explicitHashKey)) parseExplicitHashKey(explicitHashKey); // throws
        ehkIndex = c.explicitHashKeyCount;
        ehkIsNew = true;
        added += 1 + varintSize(explicitHashKey.length) + explicitHashKey.length;
      }
    }
    // Record message: pk index field + optional ehk index field + data field (see encode.ts).
    const size =
      2 + varintSize(pkIndex) + (ehkIndex < 0 ? 0 : 1 + varintSize(ehkIndex)) + varintSize(data.length) + data.length;
    added += 1 + varintSize(size) + size;
    if (c.count > 0 && (c.count >= this.#maxCount || AGGREGATION_OVERHEAD + c.bodySize + added > this.#maxSize)) {
      return false;
    }
    if (pkIsNew) {
      slot.owner = this.#owner;
      slot.index = pkIndex;
      c.addPartitionKey(partitionKey, slot.utf8Length);
    }
    if (ehkIsNew) {
      this.#explicitHashKeyIndex.set(explicitHashKey!, ehkIndex);
      c.addExplicitHashKey(explicitHashKey!);
    }
    c.addRecord(pkIndex, ehkIndex, size, data, added);
    return true;
  }

  /**
   * The outer Kinesis record, or undefined when empty; then empties the aggregator.
   * One record goes out unaggregated (its own key, explicit hash key and data, not copied).
   * Two or more: partition key "a", explicit hash key = the first record's hash key in decimal
   * (so the aggregate lands on the first record's shard), data = magic + body + MD5.
   */
  build(): OuterRecord | undefined {
    const c = this.#c;
    if (c.count === 0) return undefined;
    const ehkIndex = c.recordExplicitHashKeyIndex[0]!;
    const firstPk = c.partitionKeys[0]!;
    const firstEhk = ehkIndex < 0 ? undefined : c.explicitHashKeys[ehkIndex]!;
    let out: OuterRecord;
    if (c.count === 1) {
      const data = c.recordData[0]!;
      out = firstEhk === undefined ? { partitionKey: firstPk, data } : { partitionKey: firstPk, explicitHashKey: firstEhk, data };
    } else {
      out = {
        partitionKey: AGGREGATED_PARTITION_KEY,
        explicitHashKey: firstEhk ?? partitionKeyToHashKey(firstPk).toString(),
        data: encodeAggregate(c),
      };
    }
    this.clear();
    return out;
  }

  /** Drops every held record. */
  clear(): void {
    this.#owner = newOwner();
    this.#explicitHashKeyIndex.clear();
    this.#c.reset();
  }
}

/**
 * Packs `records` greedily, in order, into as few outer records as the limits allow. All
 * records are treated as bound for one shard; use aggregateByShard when they are not.
 */
export function aggregate(records: Iterable<UserRecord>, options?: AggregatorOptions): OuterRecord[] {
  const aggregator = new RecordAggregator(options);
  const out: OuterRecord[] = [];
  for (const record of records) {
    if (!aggregator.tryAdd(record)) {
      out.push(aggregator.build()!);
      aggregator.tryAdd(record);
    }
  }
  const last = aggregator.build();
  if (last !== undefined) out.push(last);
  return out;
}
