import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTableCommand,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { Logger } from '@kinesis-kit/core';
import { causeName } from './dynamodb-errors.js';
import { LEASE_ATTRIBUTES as A } from './lease-item.js';
import { LEASE_OWNER_INDEX, type LeaseTableApi } from './lease-table.js';

/** What the table commands borrow from the lease store: its client and its counted, retried requests. */
export interface LeaseTableDeps {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly logger: Logger;
  request<T>(operation: string, signal: AbortSignal | undefined, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T>;
}

/** The control-plane calls of ensureLeaseTable (DescribeTable, CreateTable, UpdateTable) over DynamoDB. */
export function dynamoDBLeaseTableApi(deps: LeaseTableDeps): LeaseTableApi {
  return {
    tableName: deps.tableName,
    describeTable: (signal) => describeTable(deps, signal),
    createTable: (signal) => createTable(deps, signal),
    addOwnerIndex: (table, signal) => addOwnerIndex(deps, table, signal),
  };
}

async function describeTable(deps: LeaseTableDeps, signal?: AbortSignal): Promise<TableDescription | undefined> {
  try {
    const { Table } = await deps.request('DescribeTable', signal, (abortSignal) =>
      deps.client.send(new DescribeTableCommand({ TableName: deps.tableName }), { abortSignal }),
    );
    return Table;
  } catch (error) {
    if (causeName(error) === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

async function createTable(deps: LeaseTableDeps, signal?: AbortSignal): Promise<'created' | 'inUse'> {
  try {
    await deps.request('CreateTable', signal, (abortSignal) =>
      deps.client.send(
        new CreateTableCommand({
          TableName: deps.tableName,
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [{ AttributeName: A.leaseKey, KeyType: 'HASH' }],
          AttributeDefinitions: LEASE_OWNER_INDEX.attributeDefinitions,
          GlobalSecondaryIndexes: [{ IndexName: LEASE_OWNER_INDEX.name, KeySchema: LEASE_OWNER_INDEX.keySchema, Projection: LEASE_OWNER_INDEX.projection }],
        }),
        { abortSignal },
      ),
    );
    return 'created';
  } catch (error) {
    if (causeName(error) === 'ResourceInUseException') return 'inUse';
    throw error;
  }
}

/**
 * UpdateTable adding the GSI (as the KCL 3.x's createLeaseOwnerToLeaseKeyIndexIfNotExists: a
 * provisioned table's GSI gets the table's capacity). Not waited for. A failure is a warning,
 * not an error: without the index, owned leases are found by scanning (ownedLeaseKeys).
 */
async function addOwnerIndex(deps: LeaseTableDeps, table: TableDescription, signal?: AbortSignal): Promise<void> {
  const throughput = table.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' ? undefined : table.ProvisionedThroughput;
  const provisioned =
    throughput?.ReadCapacityUnits !== undefined && throughput.ReadCapacityUnits > 0 && throughput.WriteCapacityUnits !== undefined
      ? { ProvisionedThroughput: { ReadCapacityUnits: throughput.ReadCapacityUnits, WriteCapacityUnits: throughput.WriteCapacityUnits } }
      : {};
  try {
    await deps.request('UpdateTable', signal, (abortSignal) =>
      deps.client.send(
        new UpdateTableCommand({
          TableName: deps.tableName,
          AttributeDefinitions: LEASE_OWNER_INDEX.attributeDefinitions,
          GlobalSecondaryIndexUpdates: [
            { Create: { IndexName: LEASE_OWNER_INDEX.name, KeySchema: LEASE_OWNER_INDEX.keySchema, Projection: LEASE_OWNER_INDEX.projection, ...provisioned } },
          ],
        }),
        { abortSignal },
      ),
    );
    deps.logger.info('adding the LeaseOwnerToLeaseKeyIndex GSI to the lease table', { table: deps.tableName });
  } catch (error) {
    if (signal?.aborted === true) throw error;
    deps.logger.warn('could not add the LeaseOwnerToLeaseKeyIndex GSI to the lease table', { table: deps.tableName, error: (error as Error).message });
  }
}
