import type { OutgoingRecord } from './lane.js';

/**
 * One PutRecords request being filled: at most `maxCount` Kinesis records and `maxBytes`
 * bytes of data + partition keys (the limits PutRecords counts; see limits.ts). An empty batch
 * accepts any one record, so a record larger than `maxBytes` (large-record streams) goes alone.
 */
export class PutRecordsBatch {
  readonly records: OutgoingRecord[] = [];
  readonly maxCount: number;
  readonly maxBytes: number;
  /** Exact data + partition key bytes of the records held. */
  bytes = 0;
  /** The earliest sendBy of the records held. */
  sendBy = Number.POSITIVE_INFINITY;
  /** Set once a record was refused: nothing more is worth waiting for. */
  full = false;

  constructor(maxCount: number, maxBytes: number) {
    this.maxCount = maxCount;
    this.maxBytes = maxBytes;
  }

  get count(): number {
    return this.records.length;
  }

  /** Whether `record` would be accepted now (tryAdd without the side effects). */
  fits(record: OutgoingRecord): boolean {
    const n = this.records.length;
    return n === 0 || (n < this.maxCount && this.bytes + record.size <= this.maxBytes);
  }

  /** Adds `record` if it fits; otherwise marks the batch full and returns false. */
  tryAdd(record: OutgoingRecord): boolean {
    if (!this.fits(record)) {
      this.full = true;
      return false;
    }
    this.records.push(record);
    this.bytes += record.size;
    if (record.sendBy < this.sendBy) this.sendBy = record.sendBy;
    if (this.records.length === this.maxCount) this.full = true;
    return true;
  }
}
