import type { AttributeDefinition, KeySchemaElement, Projection, TableDescription } from '@aws-sdk/client-dynamodb';
import type { Clock } from '@kinesis-kit/core';
import { LeaseTableNotActiveError, LeaseTableSchemaError } from './errors.js';
import { LEASE_ATTRIBUTES } from './lease-item.js';

/** The table operations ensureLeaseTable needs; the DynamoDB lease store provides them. */
export interface LeaseTableApi {
  readonly tableName: string;
  /** undefined when the table does not exist. */
  describeTable(signal?: AbortSignal): Promise<TableDescription | undefined>;
  /** `inUse` when another worker is creating it at the same moment. */
  createTable(signal?: AbortSignal): Promise<'created' | 'inUse'>;
  /** Starts adding the LeaseOwnerToLeaseKeyIndex GSI to an existing table (UpdateTable); does not wait for it. */
  addOwnerIndex(table: TableDescription, signal?: AbortSignal): Promise<void>;
}

/**
 * The Java KCL 3.x GSI of the lease table (DynamoDBLeaseRefresher.LEASE_OWNER_TO_LEASE_KEY_INDEX_NAME,
 * createLeaseOwnerToLeaseKeyIndexIfNotExists; key schema and attribute definitions from
 * DynamoDBLeaseSerializer.getWorkerIdToLeaseKeyIndexKeySchema / ...AttributeDefinitions): hash
 * leaseOwner (S), range leaseKey (S), KEYS_ONLY, on-demand like its table. A worker finds its own
 * leases with one Query on it; unowned leases and items without leaseOwner are not in it.
 */
export const LEASE_OWNER_INDEX = {
  name: 'LeaseOwnerToLeaseKeyIndex',
  keySchema: [
    { AttributeName: LEASE_ATTRIBUTES.leaseOwner, KeyType: 'HASH' },
    { AttributeName: LEASE_ATTRIBUTES.leaseKey, KeyType: 'RANGE' },
  ] satisfies KeySchemaElement[],
  attributeDefinitions: [
    { AttributeName: LEASE_ATTRIBUTES.leaseOwner, AttributeType: 'S' },
    { AttributeName: LEASE_ATTRIBUTES.leaseKey, AttributeType: 'S' },
  ] satisfies AttributeDefinition[],
  projection: { ProjectionType: 'KEYS_ONLY' } satisfies Projection,
} as const;

/** Whether the table has the LeaseOwnerToLeaseKeyIndex GSI (in any status). */
export function hasOwnerIndex(table: TableDescription): boolean {
  return (table.GlobalSecondaryIndexes ?? []).some((index) => index.IndexName === LEASE_OWNER_INDEX.name);
}

export interface EnsureTableOptions {
  readonly clock: Clock;
  /** Give up waiting for ACTIVE after this long. */
  readonly timeoutMs: number;
  /** Time between DescribeTable calls while waiting. */
  readonly pollMs: number;
  readonly signal?: AbortSignal;
}

/**
 * Creates the lease table if absent (PAY_PER_REQUEST, hash key leaseKey S, as the KCL, with the
 * LeaseOwnerToLeaseKeyIndex GSI), waits until it is ACTIVE, and verifies the key schema of a table
 * that already exists. An existing table without the GSI (made by KCL 2.x or an older version of
 * this library) gets it added, as the KCL 3.x does on upgrade, without waiting for it: until it is
 * ACTIVE, a worker's own leases are found with a scan instead.
 */
export async function ensureLeaseTable(api: LeaseTableApi, options: EnsureTableOptions): Promise<'created' | 'exists'> {
  const existing = await api.describeTable(options.signal);
  let outcome: 'created' | 'exists' = 'exists';
  if (existing === undefined) {
    outcome = (await api.createTable(options.signal)) === 'created' ? 'created' : 'exists';
  } else {
    verifyKeySchema(api.tableName, existing);
  }
  if (!isUsable(existing)) await waitUntilActive(api, options);
  if (existing !== undefined && !hasOwnerIndex(existing)) await api.addOwnerIndex(existing, options.signal);
  return outcome;
}

/** Throws LeaseTableSchemaError unless the key is exactly `leaseKey` (S) as the hash key. */
export function verifyKeySchema(tableName: string, table: TableDescription): void {
  const keys = table.KeySchema ?? [];
  const types = new Map((table.AttributeDefinitions ?? []).map((d) => [d.AttributeName, d.AttributeType]));
  const found = keys.map((k) => `${k.KeyType ?? '?'} ${k.AttributeName ?? '?'} (${types.get(k.AttributeName) ?? '?'})`).join(', ') || 'empty';
  const [hash] = keys;
  const ok =
    keys.length === 1 &&
    hash?.KeyType === 'HASH' &&
    hash.AttributeName === LEASE_ATTRIBUTES.leaseKey &&
    types.get(LEASE_ATTRIBUTES.leaseKey) === 'S';
  if (!ok) throw new LeaseTableSchemaError(tableName, found);
}

async function waitUntilActive(api: LeaseTableApi, options: EnsureTableOptions): Promise<void> {
  const startedAt = options.clock.now();
  let status = 'absent';
  for (;;) {
    const table = await api.describeTable(options.signal);
    if (table !== undefined) verifyKeySchema(api.tableName, table);
    status = table?.TableStatus ?? 'absent';
    if (isUsable(table)) return;
    const waited = options.clock.now() - startedAt;
    if (waited >= options.timeoutMs) throw new LeaseTableNotActiveError(api.tableName, status, Math.round(waited));
    await options.clock.sleep(options.pollMs, options.signal);
  }
}

/**
 * ACTIVE, or UPDATING: a table being updated (a GSI being added, by us or a KCL 3.x worker, can
 * take minutes on a large table) stays available for reads and writes, so it is not waited for.
 */
function isUsable(table: TableDescription | undefined): boolean {
  return table?.TableStatus === 'ACTIVE' || table?.TableStatus === 'UPDATING';
}
