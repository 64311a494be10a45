import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  classifyError,
  exponentialBackoff,
  noopLogger,
  noopMetrics,
  retry,
  systemClock,
  type BackoffPolicy,
  type Clock,
  type Logger,
  type Metrics,
  withTimeout,
} from '@kinesis-kit/core';
import { comparePositions, SHARD_END, type Position } from '../position.js';
import { isConditionalCheckFailed } from './dynamodb-errors.js';
import { InvalidLeaseItemError } from './errors.js';
import { checkpointed, released, renewed, takenBy, withChildShards, type Lease } from './lease.js';
import { fromItem, isLeaseItem, LEASE_ATTRIBUTES as A, storedShardIds, toItem, type LeaseItem } from './lease-item.js';
import type { CreateResult, DeleteResult, LeaseStore, RequestCounts, WriteResult } from './lease-store.js';
import { DynamoDBFleetTable } from './fleet/dynamodb-fleet-table.js';
import type { FleetAttributes, FleetStore, FleetUpdate, FleetWriteResult, TableContents, TableSnapshot, WorkerRecord } from './fleet/fleet-store.js';
import { ensureLeaseTable } from './lease-table.js';
import { dynamoDBLeaseTableApi } from './lease-table-commands.js';
import { LEASE_METRICS } from './metric-names.js';

export interface DynamoDBLeaseStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Delay before retrying a throttled or failed request; default exponential 50 ms .. 2 s, full jitter. */
  readonly backoff?: BackoffPolicy;
  /** Attempts per operation, including the first (default 8). */
  readonly maxAttempts?: number;
  /**
   * Deadline of each attempt of each request (default DEFAULT_DYNAMODB_REQUEST_TIMEOUT_MS). An attempt
   * that has not answered by then is abandoned and counts as a retriable failure (a write is then
   * verified with a consistent read before being reported lost). Combined with the caller's signal.
   */
  readonly requestTimeoutMs?: number;
  /** The same for CreateTable and DescribeTable: control-plane calls, slower, made only at start (default 10 s). */
  readonly tableRequestTimeoutMs?: number;
  /** How long ensureTable waits for ACTIVE (default 120 s). */
  readonly tableActiveTimeoutMs?: number;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
}

/** The consumer's dynamoDBRequestTimeoutMillis default; see its doc comment in config.ts. */
export const DEFAULT_DYNAMODB_REQUEST_TIMEOUT_MS = 1_000;

/** The attribute names used in expressions, as `#name` placeholders (none is reserved, but stay safe). */
const NAMES = Object.fromEntries(Object.values(A).map((name) => [`#${name}`, name]));

function pick(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [`#${name}`, NAMES[`#${name}`] ?? name]));
}

/**
 * The lease store over a DynamoDB table with the Java KCL's schema. Requests are counted per
 * operation (metric `DynamoDB.Requests`); throttling and transient failures are retried with
 * backoff. A conditional write whose earlier attempt may have been applied (a reset or 5xx
 * after sending) is verified with a consistent read before being reported `lost`.
 */
export class DynamoDBLeaseStore implements LeaseStore, FleetStore {
  readonly tableName: string;
  readonly #client: DynamoDBClient;
  readonly #backoff: BackoffPolicy;
  readonly #maxAttempts: number;
  readonly #clock: Clock;
  readonly #metrics: Metrics;
  readonly #logger: Logger;
  readonly #tableActiveTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #tableRequestTimeoutMs: number;
  readonly #counts = new Map<string, number>();
  readonly #fleet: DynamoDBFleetTable;

  constructor(options: DynamoDBLeaseStoreOptions) {
    this.tableName = options.tableName;
    this.#client = options.client;
    this.#backoff = options.backoff ?? exponentialBackoff({ initialDelayMs: 50, maxDelayMs: 2_000 });
    this.#maxAttempts = options.maxAttempts ?? 8;
    this.#clock = options.clock ?? systemClock;
    this.#metrics = options.metrics ?? noopMetrics;
    this.#logger = options.logger ?? noopLogger;
    this.#tableActiveTimeoutMs = options.tableActiveTimeoutMs ?? 120_000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_DYNAMODB_REQUEST_TIMEOUT_MS;
    this.#tableRequestTimeoutMs = options.tableRequestTimeoutMs ?? 10_000;
    this.#fleet = new DynamoDBFleetTable({
      client: this.#client,
      tableName: this.tableName,
      clock: this.#clock,
      logger: this.#logger,
      request: (operation, signal, call) => this.#request(operation, signal, call),
      conditional: (operation, signal, attempt, verify) => this.#conditional(operation, signal, attempt, verify),
      parseLease: (item) => this.#parse(item),
    });
  }

  // The FleetStore: the fleet item, worker items and the GSI (fleet/dynamodb-fleet-table.ts), on this store's counted requests.
  scanTable(signal?: AbortSignal): Promise<TableSnapshot> {
    return this.#fleet.scanTable(signal);
  }

  ownedLeaseKeys(owner: string, signal?: AbortSignal): Promise<string[]> {
    return this.#fleet.ownedLeaseKeys(owner, signal);
  }

  readFleet(signal?: AbortSignal): Promise<FleetAttributes | undefined> {
    return this.#fleet.readFleet(signal);
  }

  updateFleet(update: FleetUpdate, signal?: AbortSignal): Promise<FleetWriteResult> {
    return this.#fleet.updateFleet(update, signal);
  }

  putWorker(worker: WorkerRecord, signal?: AbortSignal): Promise<void> {
    return this.#fleet.putWorker(worker, signal);
  }

  deleteWorker(workerId: string, signal?: AbortSignal): Promise<void> {
    return this.#fleet.deleteWorker(workerId, signal);
  }

  /**
   * For tooling over the lease table (the CLI): every lease, our worker items (worker id and fleet
   * slot) and the fleet item, in one consistent Scan. Not used by the consumer itself.
   */
  readTable(signal?: AbortSignal): Promise<TableContents> {
    return this.#fleet.readTable(signal);
  }

  /** For tooling: a fleet worker's own item (its slot in the fleet item), consistent; undefined for anything else. */
  readWorker(workerId: string, signal?: AbortSignal): Promise<WorkerRecord | undefined> {
    return this.#fleet.readWorker(workerId, signal);
  }

  /** DynamoDB requests made so far, by operation (every attempt counts). */
  requestCounts(): RequestCounts {
    return Object.fromEntries(this.#counts);
  }

  ensureTable(signal?: AbortSignal): Promise<'created' | 'exists'> {
    const api = dynamoDBLeaseTableApi({
      client: this.#client,
      tableName: this.tableName,
      logger: this.#logger,
      request: (operation, s, call) => this.#request(operation, s, call),
    });
    return ensureLeaseTable(api, { clock: this.#clock, timeoutMs: this.#tableActiveTimeoutMs, pollMs: 250, ...(signal ? { signal } : {}) });
  }

  async listLeases(signal?: AbortSignal): Promise<Lease[]> {
    const leases: Lease[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.#request('Scan', signal, (abortSignal) =>
        this.#client.send(new ScanCommand({ TableName: this.tableName, ConsistentRead: true, ExclusiveStartKey: startKey }), { abortSignal }),
      );
      for (const item of page.Items ?? []) {
        const lease = this.#parse(item);
        if (lease !== undefined) leases.push(lease);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && Object.keys(startKey).length > 0);
    return leases;
  }

  async getLease(leaseKey: string, signal?: AbortSignal): Promise<Lease | undefined> {
    const { Item } = await this.#request('GetItem', signal, (abortSignal) =>
      this.#client.send(new GetItemCommand({ TableName: this.tableName, Key: { [A.leaseKey]: { S: leaseKey } }, ConsistentRead: true }), { abortSignal }),
    );
    return Item === undefined ? undefined : this.#parse(Item);
  }

  async createLease(lease: Lease, signal?: AbortSignal): Promise<CreateResult> {
    const created = await this.#conditional('PutItem', signal, async (abortSignal) => {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem(lease),
          ConditionExpression: 'attribute_not_exists(#leaseKey)',
          ExpressionAttributeNames: pick([A.leaseKey]),
        }),
        { abortSignal },
      );
      return true;
    }, async () => {
      // An attempt that failed ambiguously (timed out, reset) may have created it: ours if the table holds exactly it.
      const current = await this.getLease(lease.leaseKey, signal);
      return current !== undefined && appliedAsExpected(current, lease) ? true : undefined;
    });
    return created === true ? { kind: 'created', lease } : { kind: 'alreadyExists' };
  }

  /** On a failed condition the lease is read back (as the KCL does): an earlier attempt of ours may have applied. */
  renewLease(lease: Lease, signal?: AbortSignal): Promise<WriteResult<'renewed'>> {
    const owner = requireOwner(lease);
    return this.#update('renewed', lease, renewed(lease), signal, {
      alwaysVerify: true,
      UpdateExpression: 'SET #leaseCounter = :next',
      ConditionExpression: '#leaseCounter = :expected AND #leaseOwner = :owner',
      names: [A.leaseCounter, A.leaseOwner],
      values: { ':next': num(lease.leaseCounter + 1), ':expected': num(lease.leaseCounter), ':owner': { S: owner } },
    });
  }

  takeLease(lease: Lease, owner: string, signal?: AbortSignal): Promise<WriteResult<'taken'>> {
    const after = takenBy(lease, owner);
    const ownerCondition = lease.leaseOwner === undefined ? 'attribute_not_exists(#leaseOwner)' : '#leaseOwner = :previous';
    return this.#update('taken', lease, after, signal, {
      UpdateExpression: 'SET #leaseOwner = :owner, #leaseCounter = :next, #ownerSwitchesSinceCheckpoint = :switches REMOVE #checkpointOwner',
      ConditionExpression: `#leaseCounter = :expected AND ${ownerCondition}`,
      names: [A.leaseOwner, A.leaseCounter, A.ownerSwitchesSinceCheckpoint, A.checkpointOwner],
      values: {
        ':owner': { S: owner },
        ':next': num(after.leaseCounter),
        ':switches': num(after.ownerSwitchesSinceCheckpoint),
        ':expected': num(lease.leaseCounter),
        ...(lease.leaseOwner === undefined ? {} : { ':previous': { S: lease.leaseOwner } }),
      },
    });
  }

  releaseLease(lease: Lease, signal?: AbortSignal): Promise<WriteResult<'released'>> {
    const owner = requireOwner(lease);
    return this.#update('released', lease, released(lease), signal, {
      UpdateExpression: 'SET #leaseCounter = :next REMOVE #leaseOwner, #checkpointOwner',
      ConditionExpression: '#leaseCounter = :expected AND #leaseOwner = :owner',
      names: [A.leaseCounter, A.leaseOwner, A.checkpointOwner],
      values: { ':next': num(lease.leaseCounter + 1), ':expected': num(lease.leaseCounter), ':owner': { S: owner } },
    });
  }

  checkpointLease(lease: Lease, position: Position, signal?: AbortSignal, throughputKBps?: number): Promise<WriteResult<'checkpointed'>> {
    const owner = requireOwner(lease);
    const throughput = throughputKBps === undefined ? '' : ', #throughputKBps = :throughput';
    return this.#update('checkpointed', lease, checkpointed(lease, position, throughputKBps), signal, {
      UpdateExpression:
        `SET #checkpoint = :sequence, #checkpointSubSequenceNumber = :sub, #ownerSwitchesSinceCheckpoint = :zero, #leaseCounter = :next${throughput} ` +
        'REMOVE #pendingCheckpoint, #pendingCheckpointSubSequenceNumber, #pendingCheckpointState',
      ConditionExpression: '#leaseCounter = :expected AND #leaseOwner = :owner',
      names: [
        A.checkpoint,
        A.checkpointSubSequenceNumber,
        A.ownerSwitchesSinceCheckpoint,
        A.leaseCounter,
        A.pendingCheckpoint,
        A.pendingCheckpointSubSequenceNumber,
        A.pendingCheckpointState,
        A.leaseOwner,
        ...(throughputKBps === undefined ? [] : [A.throughputKBps]),
      ],
      values: {
        ':sequence': { S: position.sequenceNumber },
        ':sub': num(position.subSequenceNumber),
        ':zero': num(0),
        ':next': num(lease.leaseCounter + 1),
        ':expected': num(lease.leaseCounter),
        ':owner': { S: owner },
        ...(throughputKBps === undefined ? {} : { ':throughput': num(Math.round(throughputKBps * 1000) / 1000) }),
      },
    });
  }

  addChildShards(lease: Lease, childShardIds: readonly string[], signal?: AbortSignal): Promise<WriteResult<'updated'>> {
    const owner = requireOwner(lease);
    if (childShardIds.length === 0) return Promise.resolve({ kind: 'updated', lease });
    return this.#update('updated', lease, withChildShards(lease, childShardIds), signal, {
      UpdateExpression: 'SET #leaseCounter = :next ADD #childShardIds :children',
      ConditionExpression: '#leaseCounter = :expected AND #leaseOwner = :owner',
      names: [A.leaseCounter, A.childShardIds, A.leaseOwner],
      values: { ':next': num(lease.leaseCounter + 1), ':children': { SS: storedShardIds(lease.leaseKey, childShardIds) }, ':expected': num(lease.leaseCounter), ':owner': { S: owner } },
    });
  }

  async deleteLease(lease: Lease, signal?: AbortSignal): Promise<DeleteResult> {
    const deleted = await this.#conditional(
      'DeleteItem',
      signal,
      async (abortSignal) => {
        await this.#client.send(
          new DeleteItemCommand({
            TableName: this.tableName,
            Key: { [A.leaseKey]: { S: lease.leaseKey } },
            ConditionExpression: '#checkpoint = :shardEnd AND #leaseCounter = :expected',
            ExpressionAttributeNames: pick([A.checkpoint, A.leaseCounter]),
            ExpressionAttributeValues: { ':shardEnd': { S: SHARD_END.sequenceNumber }, ':expected': num(lease.leaseCounter) },
          }),
          { abortSignal },
        );
        return true;
      },
    );
    if (deleted === true) return { kind: 'deleted' };
    // The condition failed: already gone (another worker's cleanup, or our own earlier attempt) or changed.
    return (await this.getLease(lease.leaseKey, signal)) === undefined ? { kind: 'deleted' } : { kind: 'changed' };
  }

  /** A conditional UpdateItem returning ALL_NEW; `after` is what the write should leave (for verification). */
  async #update<K extends string>(kind: K, before: Lease, after: Lease, signal: AbortSignal | undefined, spec: UpdateSpec): Promise<WriteResult<K>> {
    const input: UpdateItemCommandInput = {
      TableName: this.tableName,
      Key: { [A.leaseKey]: { S: before.leaseKey } },
      UpdateExpression: spec.UpdateExpression,
      ConditionExpression: spec.ConditionExpression,
      ExpressionAttributeNames: pick(spec.names),
      ExpressionAttributeValues: spec.values,
      ReturnValues: 'ALL_NEW',
    };
    const lease = await this.#conditional(
      'UpdateItem',
      signal,
      async (abortSignal) => {
        const { Attributes } = await this.#client.send(new UpdateItemCommand(input), { abortSignal });
        return Attributes === undefined ? after : (this.#parse(Attributes) ?? after);
      },
      async () => {
        const current = await this.getLease(before.leaseKey, signal);
        return current !== undefined && appliedAsExpected(current, after) ? current : undefined;
      },
      spec.alwaysVerify === true,
    );
    return lease === undefined ? { kind: 'lost' } : { kind, lease };
  }

  /**
   * Runs a conditional request with retries. A failed condition is `undefined` (an expected
   * outcome, never retried) unless an earlier attempt failed ambiguously (it may have been
   * applied), in which case `verify` decides from a consistent read.
   */
  async #conditional<T>(
    operation: string,
    signal: AbortSignal | undefined,
    attempt: (abortSignal: AbortSignal) => Promise<T>,
    verify?: () => Promise<T | undefined>,
    alwaysVerify = false,
  ): Promise<T | undefined> {
    let ambiguous = false;
    const outcome = await this.#request(
      operation,
      signal,
      async (abortSignal) => {
        try {
          return { value: await attempt(abortSignal) };
        } catch (error) {
          if (isConditionalCheckFailed(error)) return { conditionFailed: true as const };
          // Abandoned at its deadline (or aborted) after sending, or failed in transit: it may have been applied.
          if (abortSignal.aborted || classifyError(error).errorClass === 'retriable') ambiguous = true;
          throw error;
        }
      },
    );
    if ('value' in outcome) return outcome.value;
    if ((ambiguous || alwaysVerify) && verify !== undefined) return verify();
    return undefined;
  }

  /**
   * One DynamoDB operation with counting, metrics and retries of throttling and transient
   * failures. Every attempt has its own deadline (requestTimeoutMs) combined with `signal`: the
   * SDK gets a per-attempt signal, so a long-lived caller signal holds one listener per attempt in
   * flight and never more, and a request that never answers settles at its deadline.
   */
  #request<T>(operation: string, signal: AbortSignal | undefined, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const timeoutMs = operation.endsWith('Table') ? this.#tableRequestTimeoutMs : this.#requestTimeoutMs;
    return retry(
      () => {
        this.#counts.set(operation, (this.#counts.get(operation) ?? 0) + 1);
        this.#metrics.count(LEASE_METRICS.dynamoDBRequests, 1, { operation });
        return withTimeout(this.#clock, timeoutMs, signal, call);
      },
      {
        backoff: this.#backoff,
        maxAttempts: this.#maxAttempts,
        clock: this.#clock,
        description: `DynamoDB ${operation} on ${this.tableName}`,
        ...(signal ? { signal } : {}),
        onFailedAttempt: (failed, errorClass) => {
          if (errorClass === 'throttled') this.#metrics.count(LEASE_METRICS.dynamoDBThrottled, 1, { operation });
          this.#logger.debug('DynamoDB request failed', { operation, table: this.tableName, errorCode: failed.errorCode, errorClass });
        },
      },
    );
  }

  /** The lease in an item; undefined (quietly) for the KCL 3's non-lease items, with a warning for a broken lease. */
  #parse(item: LeaseItem): Lease | undefined {
    if (!isLeaseItem(item)) return undefined;
    try {
      return fromItem(item);
    } catch (error) {
      if (!(error instanceof InvalidLeaseItemError)) throw error;
      this.#logger.warn('skipping an item of the lease table that is not a lease', { table: this.tableName, error: error.message });
      return undefined;
    }
  }
}

interface UpdateSpec {
  /** Read back on every failed condition, not only after an ambiguous attempt. */
  readonly alwaysVerify?: boolean;
  readonly UpdateExpression: string;
  readonly ConditionExpression: string;
  readonly names: readonly string[];
  readonly values: Record<string, AttributeValue>;
}

function num(value: number): AttributeValue {
  return { N: String(value) };
}

function requireOwner(lease: Lease): string {
  if (lease.leaseOwner === undefined) throw new TypeError(`lease ${lease.leaseKey} has no owner: only an owner renews, releases or checkpoints`);
  return lease.leaseOwner;
}

/** Whether the table's lease is what a write meant to leave (owner, counter, checkpoint, children). */
function appliedAsExpected(current: Lease, after: Lease): boolean {
  return (
    current.leaseOwner === after.leaseOwner &&
    current.leaseCounter === after.leaseCounter &&
    comparePositions(current.checkpoint, after.checkpoint) === 0 &&
    after.childShardIds.every((id) => current.childShardIds.includes(id))
  );
}
