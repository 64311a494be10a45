import { KinesisKitError } from '@kinesis-kit/core';

/** The lease table exists but its key schema is not the KCL's (hash key `leaseKey` of type S, no range key). */
export class LeaseTableSchemaError extends KinesisKitError {
  readonly tableName: string;

  constructor(tableName: string, found: string) {
    super(
      'LEASE_TABLE_SCHEMA',
      `table ${tableName} cannot be a lease table: its key schema is ${found}, expected hash key leaseKey (S) and no range key ` +
        '(is tableName / applicationName pointing at a table of another application?)',
      { retriable: false },
    );
    this.tableName = tableName;
  }
}

/** The lease table did not become ACTIVE in time (still CREATING or UPDATING, or being deleted). */
export class LeaseTableNotActiveError extends KinesisKitError {
  readonly tableName: string;

  constructor(tableName: string, status: string, waitedMs: number) {
    super('LEASE_TABLE_NOT_ACTIVE', `table ${tableName} is ${status}, not ACTIVE, after waiting ${waitedMs} ms`, { retriable: true });
    this.tableName = tableName;
  }
}

/** An item of the lease table that is not a lease (no string leaseKey, or no valid checkpoint). */
export class InvalidLeaseItemError extends KinesisKitError {
  readonly leaseKey: string;

  constructor(leaseKey: string, message: string) {
    super('INVALID_LEASE_ITEM', `lease item ${leaseKey}: ${message}`, { retriable: false });
    this.leaseKey = leaseKey;
  }
}

export type ConsumerStateCode = 'ALREADY_STARTED' | 'CONSUMER_STOPPED' | 'NOT_RUNNING' | 'NOT_MULTI_STREAM';

/**
 * `start()` called twice, or after `stop()`: a KinesisConsumer runs once; create a new one to
 * run again. Also addStream()/removeStream() on a consumer that is not running (NOT_RUNNING)
 * or was created for a single stream (NOT_MULTI_STREAM).
 */
export class ConsumerStateError extends KinesisKitError {
  constructor(code: ConsumerStateCode, message: string) {
    super(code, message, { retriable: false });
  }
}
