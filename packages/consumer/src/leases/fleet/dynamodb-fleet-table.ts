import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
  type ScanCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { Clock, Logger } from '@kinesis-kit/core';
import { causeName } from '../dynamodb-errors.js';
import type { Lease } from '../lease.js';
import { ENTITY_TYPE_ATTRIBUTE, isLeaseItem, LEASE_ATTRIBUTES as A, type LeaseItem } from '../lease-item.js';
import { LEASE_OWNER_INDEX } from '../lease-table.js';
import { FLEET_ITEM_KEY } from './fleet-item.js';
import type { FleetAttributes, FleetStore, FleetUpdate, FleetWriteResult, TableContents, TableSnapshot, WorkerRecord } from './fleet-store.js';
import { compileFleetUpdate, fleetAttributes, showsUpdate } from './fleet-update-expression.js';
import { fromWorkerItem, isWorkerItem, toWorkerItem, WORKER_ENTITY_TYPE } from './worker-item.js';

type Call<T> = (abortSignal: AbortSignal) => Promise<T>;

/** What the fleet table borrows from the lease store: its client, and its request machinery (counts, retries, deadlines). */
export interface FleetTableDeps {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** One counted request, retried on throttling and transient failures. */
  request<T>(operation: string, signal: AbortSignal | undefined, call: Call<T>): Promise<T>;
  /** A conditional request: a failed condition is undefined, or verify()'s answer after an ambiguous attempt. */
  conditional<T>(operation: string, signal: AbortSignal | undefined, attempt: Call<T>, verify?: () => Promise<T | undefined>): Promise<T | undefined>;
  /** A lease item read as a lease (undefined, with a warning, for a broken one). */
  parseLease(item: LeaseItem): Lease | undefined;
}

const FLEET_KEY = { [A.leaseKey]: { S: FLEET_ITEM_KEY } };

/** The FleetStore over the lease table; DynamoDBLeaseStore exposes it (one client, one set of request counts). */
export class DynamoDBFleetTable implements FleetStore {
  readonly #deps: FleetTableDeps;
  #warnedNoIndex = false;

  constructor(deps: FleetTableDeps) {
    this.#deps = deps;
  }

  async scanTable(signal?: AbortSignal): Promise<TableSnapshot> {
    const { leases, workers } = await this.#readAll(false, signal);
    return { leases, workers };
  }

  /**
   * Tooling (the CLI): one CONSISTENT scan of the whole table, keeping the fleet item too, so that
   * lease counters and heartbeats read twice can be compared (an eventually consistent read may
   * go back in time and look like a move).
   */
  readTable(signal?: AbortSignal): Promise<TableContents> {
    return this.#readAll(true, signal);
  }

  /** Every lease, every worker item of ours and the fleet item, in one scan. */
  async #readAll(consistent: boolean, signal?: AbortSignal): Promise<TableContents> {
    const leases: Lease[] = [];
    const workers: WorkerRecord[] = [];
    let fleet: FleetAttributes | undefined;
    await this.#scan({ TableName: this.#deps.tableName, ConsistentRead: consistent }, signal, (item) => {
      if (isLeaseItem(item)) {
        const lease = this.#deps.parseLease(item);
        if (lease !== undefined) leases.push(lease);
      } else if (isWorkerItem(item)) {
        const worker = fromWorkerItem(item);
        if (worker !== undefined) workers.push(worker);
      } else if (item[A.leaseKey]?.S === FLEET_ITEM_KEY) {
        fleet = fleetAttributes(item);
      }
    });
    return { leases, workers, fleet };
  }

  /** Tooling: a worker's own item (consistent GetItem); undefined when absent or not one of ours (a Java worker's). */
  async readWorker(workerId: string, signal?: AbortSignal): Promise<WorkerRecord | undefined> {
    const { Item } = await this.#deps.request('GetItem', signal, (abortSignal) =>
      this.#deps.client.send(new GetItemCommand({ TableName: this.#deps.tableName, Key: { [A.leaseKey]: { S: workerId } }, ConsistentRead: true }), { abortSignal }),
    );
    return Item !== undefined && isWorkerItem(Item) ? fromWorkerItem(Item) : undefined;
  }

  /**
   * One Query (all pages) on LeaseOwnerToLeaseKeyIndex. A table without the index, or whose index
   * is still being built, answers ValidationException: the keys are then found with a filtered
   * scan (correct, but it reads the whole table), with a warning the first time.
   */
  async ownedLeaseKeys(owner: string, signal?: AbortSignal): Promise<string[]> {
    const query: QueryCommandInput = {
      TableName: this.#deps.tableName,
      IndexName: LEASE_OWNER_INDEX.name,
      KeyConditionExpression: '#owner = :owner',
      ExpressionAttributeNames: { '#owner': A.leaseOwner },
      ExpressionAttributeValues: { ':owner': { S: owner } },
    };
    try {
      return await this.#queryKeys(query, signal);
    } catch (error) {
      if (causeName(error) !== 'ValidationException') throw error;
      if (!this.#warnedNoIndex) {
        this.#warnedNoIndex = true;
        this.#deps.logger.warn('the lease table has no usable LeaseOwnerToLeaseKeyIndex yet: finding owned leases with a scan', {
          table: this.#deps.tableName,
          error: (error as Error).message,
        });
      }
      const keys: string[] = [];
      const scan: ScanCommandInput = {
        TableName: this.#deps.tableName,
        ConsistentRead: false,
        FilterExpression: '#owner = :owner',
        ProjectionExpression: '#key',
        ExpressionAttributeNames: { '#owner': A.leaseOwner, '#key': A.leaseKey },
        ExpressionAttributeValues: { ':owner': { S: owner } },
      };
      await this.#scan(scan, signal, (item) => {
        const key = item[A.leaseKey]?.S;
        if (key !== undefined) keys.push(key);
      });
      return keys;
    }
  }

  async readFleet(signal?: AbortSignal): Promise<FleetAttributes | undefined> {
    const { Item } = await this.#deps.request('GetItem', signal, (abortSignal) =>
      this.#deps.client.send(new GetItemCommand({ TableName: this.#deps.tableName, Key: FLEET_KEY, ConsistentRead: true }), { abortSignal }),
    );
    return Item === undefined ? undefined : fleetAttributes(Item);
  }

  /**
   * One UpdateItem (ALL_NEW). A failed condition is `conditionFailed`, never retried, with one
   * exception: when an earlier attempt failed ambiguously (timed out or reset after sending, so it
   * may have been applied) and a retry then fails its condition, the item is read back
   * (consistently) and the write counts as `updated` with that item if every attribute it SETs
   * holds the value it set and every attribute it REMOVEs is absent (showsUpdate). The protocol's
   * SETs carry values only its writer would write (its worker id, the next lock counter), so they
   * identify the write; an update that only increments cannot be identified and stays
   * `conditionFailed`. An ambiguous attempt retried whose condition still holds applies again:
   * increments may then count twice (they are counters that only need to change).
   */
  async updateFleet(update: FleetUpdate, signal?: AbortSignal): Promise<FleetWriteResult> {
    const expression = compileFleetUpdate(update);
    const fleet = await this.#deps.conditional(
      'UpdateItem',
      signal,
      async (abortSignal) => {
        const { Attributes } = await this.#deps.client.send(
          new UpdateItemCommand({ TableName: this.#deps.tableName, Key: FLEET_KEY, ReturnValues: 'ALL_NEW', ...expression }),
          { abortSignal },
        );
        return fleetAttributes(Attributes ?? {});
      },
      async () => {
        const current = await this.readFleet(signal);
        return current !== undefined && showsUpdate(current, update) ? current : undefined;
      },
    );
    return fleet === undefined ? { kind: 'conditionFailed' } : { kind: 'updated', fleet };
  }

  async putWorker(worker: WorkerRecord, signal?: AbortSignal): Promise<void> {
    const item = toWorkerItem(worker, this.#deps.clock.now());
    await this.#deps.request('PutItem', signal, (abortSignal) =>
      this.#deps.client.send(new PutItemCommand({ TableName: this.#deps.tableName, Item: item }), { abortSignal }),
    );
  }

  /** Conditional on the item being a worker item, so a wrong id can never delete a lease; absent (or not a worker's) is fine. */
  async deleteWorker(workerId: string, signal?: AbortSignal): Promise<void> {
    await this.#deps.conditional('DeleteItem', signal, (abortSignal) =>
      this.#deps.client.send(
        new DeleteItemCommand({
          TableName: this.#deps.tableName,
          Key: { [A.leaseKey]: { S: workerId } },
          ConditionExpression: '#type = :worker',
          ExpressionAttributeNames: { '#type': ENTITY_TYPE_ATTRIBUTE },
          ExpressionAttributeValues: { ':worker': { S: WORKER_ENTITY_TYPE } },
        }),
        { abortSignal },
      ),
    );
  }

  async #queryKeys(input: QueryCommandInput, signal: AbortSignal | undefined): Promise<string[]> {
    const keys: string[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.#deps.request('Query', signal, (abortSignal) =>
        this.#deps.client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }), { abortSignal }),
      );
      for (const item of page.Items ?? []) {
        const key = item[A.leaseKey]?.S;
        if (key !== undefined) keys.push(key);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && Object.keys(startKey).length > 0);
    return keys;
  }

  async #scan(input: ScanCommandInput, signal: AbortSignal | undefined, visit: (item: LeaseItem) => void): Promise<void> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.#deps.request('Scan', signal, (abortSignal) =>
        this.#deps.client.send(new ScanCommand({ ...input, ExclusiveStartKey: startKey }), { abortSignal }),
      );
      for (const item of page.Items ?? []) visit(item);
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && Object.keys(startKey).length > 0);
  }
}
