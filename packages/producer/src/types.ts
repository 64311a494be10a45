import type { Attempt } from '@kinesis-kit/core';

/** A user record as put() takes it. */
export interface PutRecordInput {
  /** 1..256 Unicode characters; its MD5 picks the shard unless explicitHashKey is set. */
  readonly partitionKey: string;
  /** The payload. Its bytes are referenced, not copied: do not change them until the put settles. */
  readonly data: Uint8Array;
  /** Decimal 0..2^128-1 without leading zeros; overrides the partition key's hash for routing. */
  readonly explicitHashKey?: string | undefined;
}

/** Where and when a user record was durably written. */
export interface PutResult {
  readonly shardId: string;
  /** Sequence number of the Kinesis record that carried it (a decimal string; compare as BigInt). */
  readonly sequenceNumber: string;
  /** Index inside the aggregate that carried it; 0 when it was sent alone. */
  readonly subSequenceNumber: number;
  /** Every attempt, the last one the success. */
  readonly attempts: readonly Attempt[];
}

export interface PutOptions {
  /**
   * Gives up waiting for buffer room (rejects with ABORTED); already aborted, the record is
   * refused at once (ABORTED), even when there is room. No effect once the record is accepted.
   */
  readonly signal?: AbortSignal;
}

/** What enqueue() resolves with once the record is accepted into the buffer. */
export interface PutTicket {
  /** Settles when the record is written or fails for good. Never left unhandled: see docs/producer.md. */
  readonly result: Promise<PutResult>;
}

export interface CloseOptions {
  /** When it aborts, records still outstanding fail with ABORTED and close() finishes at once. */
  readonly signal?: AbortSignal;
}

/** open -> closing -> closed; see LIFECYCLE in lifecycle.ts. */
export type ProducerState = 'open' | 'closing' | 'closed';
