import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  ScanCommand,
  UpdateItemCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { Clock } from '@kinesis-kit/core';
import { readUnits, writeUnits, type Item } from './capacity.js';
import { applyUpdate, conditionHolds } from './expressions.js';
import { SimTable, type Page } from './sim-table.js';

/**
 * DynamoDB in memory, on a simulated clock, charging capacity as DynamoDB does: conditional writes
 * (a failed condition still costs write units, on the size of the item as it is), consistent
 * reads in 4 KB units (GetItem per item; Scan and Query per page total, pages of at most 1 MB),
 * writes in 1 KB units of the larger of the item before and after, GSI queries on the projected
 * size (always eventually consistent), and GSI entry writes. A request is applied when it is sent
 * and answered after `latencyMs` on the sender's clock: a killed sender never hears back.
 *
 * `client()` returns an object that stands in for a DynamoDBClient: the real adapter code sends
 * its real commands to it. Operations it does not simulate reject with an error naming them.
 */
export interface OperationStats {
  requests: number;
  readUnits: number;
  /** Every write unit charged, failed conditions included. */
  writeUnits: number;
  failedConditions: number;
  /** The part of writeUnits charged for failed conditions (engines do not report it). */
  failedWriteUnits: number;
}

export const emptyStats = (): OperationStats => ({ requests: 0, readUnits: 0, writeUnits: 0, failedConditions: 0, failedWriteUnits: 0 });

export interface SimDynamoDBOptions {
  /** Time from sending a request to its answer (default 5 ms, plus 1 ms per 64 KB read or written). */
  readonly latencyMs?: (operation: string, bytes: number) => number;
}

/** Told of every item change: the lease table's owner changes are the fleet's lease moves. */
export type WriteListener = (table: string, before: Item | undefined, after: Item | undefined) => void;

/** A command class of the SDK: requests are told apart by the class they are an instance of. */
type CommandClass = abstract new (...args: never[]) => unknown;
type Handler = (input: Record<string, unknown>) => { output: Record<string, unknown>; bytes: number };

export class SimDynamoDB {
  readonly tables = new Map<string, SimTable>();
  /** By operation name; `tag` views in `statsByTag`. */
  readonly stats = new Map<string, OperationStats>();
  readonly statsByTag = new Map<string, Map<string, OperationStats>>();
  readonly #listeners: WriteListener[] = [];
  readonly #latency: (operation: string, bytes: number) => number;
  readonly #handlers: ReadonlyMap<CommandClass, [string, Handler]>;
  #charge: { tag: string; op: string } = { tag: '', op: '' };

  constructor(options: SimDynamoDBOptions = {}) {
    this.#latency = options.latencyMs ?? ((_, bytes) => 5 + Math.floor(bytes / 65_536));
    this.#handlers = new Map<CommandClass, [string, Handler]>([
      [CreateTableCommand, ['CreateTable', (i) => ({ output: { TableDescription: this.#describe(this.createTable(i as unknown as CreateTableCommandInput)) }, bytes: 0 })]],
      [DescribeTableCommand, ['DescribeTable', (i) => ({ output: { Table: this.#describe(this.#table(i)) }, bytes: 0 })]],
      [GetItemCommand, ['GetItem', (i) => this.#getItem(i)]],
      [PutItemCommand, ['PutItem', (i) => this.#write(i, () => i.Item as Item)]],
      [UpdateItemCommand, ['UpdateItem', (i) => this.#write(i, (old, table) => applyUpdate(String(i.UpdateExpression), old ?? keyItem(table, i.Key as Item), context(i)))]],
      [DeleteItemCommand, ['DeleteItem', (i) => this.#write(i, () => undefined)]],
      [ScanCommand, ['Scan', (i) => this.#scan(i)]],
      [QueryCommand, ['Query', (i) => this.#query(i)]],
    ]);
  }

  onWrite(listener: WriteListener): void {
    this.#listeners.push(listener);
  }

  /** A DynamoDBClient stand-in whose answers arrive on `clock`; its requests are counted under `tag` too. */
  client(clock: Clock, tag = ''): DynamoDBClient {
    const send = async (command: { input: Record<string, unknown> }, options?: { abortSignal?: AbortSignal }): Promise<unknown> => {
      const entry = this.#handlers.get(command.constructor as CommandClass);
      if (entry === undefined) throw new Error(`${command.constructor.name} is not simulated`);
      options?.abortSignal?.throwIfAborted();
      const [op, handle] = entry;
      this.#charge = { tag, op };
      this.#count('requests', 1);
      let result: { output: Record<string, unknown>; bytes: number } | undefined;
      let failure: unknown;
      try {
        result = handle(command.input);
      } catch (error) {
        failure = error;
      }
      await clock.sleep(this.#latency(op, result?.bytes ?? 0), options?.abortSignal);
      if (result === undefined) throw failure;
      return { ...result.output, $metadata: { httpStatusCode: 200 } };
    };
    return { send, destroy: () => undefined } as unknown as DynamoDBClient;
  }

  /** Totals over every operation (or over one tag). */
  totals(tag?: string): OperationStats {
    const sum = emptyStats();
    const source = tag === undefined ? this.stats : (this.statsByTag.get(tag) ?? new Map<string, OperationStats>());
    for (const s of source.values()) {
      sum.requests += s.requests;
      sum.readUnits += s.readUnits;
      sum.writeUnits += s.writeUnits;
      sum.failedConditions += s.failedConditions;
      sum.failedWriteUnits += s.failedWriteUnits;
    }
    return sum;
  }

  /** A copy of the per-operation stats (subtract two snapshots to measure a window). */
  snapshot(): Map<string, OperationStats> {
    return new Map([...this.stats].map(([op, s]) => [op, { ...s }]));
  }

  #count(field: keyof OperationStats, amount: number): void {
    const { tag, op } = this.#charge;
    for (const map of [this.stats, this.#tagStats(tag)]) {
      const s = map.get(op) ?? emptyStats();
      s[field] += amount;
      map.set(op, s);
    }
  }

  #tagStats(tag: string): Map<string, OperationStats> {
    let map = this.statsByTag.get(tag);
    if (map === undefined) this.statsByTag.set(tag, (map = new Map()));
    return map;
  }

  #table(input: Record<string, unknown>): SimTable {
    const table = this.tables.get(String(input.TableName));
    if (table === undefined) throw new ResourceNotFoundException({ message: `Requested resource not found: ${String(input.TableName)}`, $metadata: {} });
    return table;
  }

  /** CreateTable, at once and free (for seeding); the CreateTable request does the same. */
  createTable(input: Pick<CreateTableCommandInput, 'TableName' | 'KeySchema' | 'AttributeDefinitions' | 'GlobalSecondaryIndexes'>): SimTable {
    const name = String(input.TableName);
    if (this.tables.has(name)) throw new ResourceInUseException({ message: `Table already exists: ${name}`, $metadata: {} });
    const table = new SimTable(name, input.KeySchema ?? [], input.AttributeDefinitions ?? [], input.GlobalSecondaryIndexes ?? []);
    this.tables.set(name, table);
    return table;
  }

  #describe(table: SimTable): TableDescription {
    return {
      TableName: table.name,
      TableStatus: 'ACTIVE',
      KeySchema: [...table.keySchema],
      AttributeDefinitions: table.attributeDefinitions.map((d) => ({ AttributeName: d.AttributeName, AttributeType: d.AttributeType as 'S' })),
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
      ItemCount: table.itemCount,
      CreationDateTime: table.createdAt,
      ...(table.gsis.length > 0 ? { GlobalSecondaryIndexes: table.gsis.map((g) => ({ ...g, IndexStatus: 'ACTIVE' as const })) } : {}),
    };
  }

  #getItem(input: Record<string, unknown>): { output: Record<string, unknown>; bytes: number } {
    const table = this.#table(input);
    const stored = table.get(table.keyOf(input.Key as Item));
    const units = readUnits(stored?.size ?? 0, input.ConsistentRead === true);
    this.#count('readUnits', units);
    return { output: { ...(stored ? { Item: stored.item } : {}), ...consumed(input, table, units) }, bytes: stored?.size ?? 0 };
  }

  /** PutItem, UpdateItem, DeleteItem: condition, write, capacity (a failed condition is charged too). */
  #write(input: Record<string, unknown>, next: (old: Item | undefined, table: SimTable) => Item | undefined): { output: Record<string, unknown>; bytes: number } {
    const table = this.#table(input);
    const key = table.keyOf((input.Item ?? input.Key) as Item);
    const old = table.get(key)?.item;
    const condition = input.ConditionExpression;
    if (typeof condition === 'string' && !conditionHolds(condition, old, context(input))) {
      const units = writeUnits(old, undefined);
      this.#count('writeUnits', units);
      this.#count('failedWriteUnits', units);
      this.#count('failedConditions', 1);
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    }
    const item = next(old, table);
    const units = writeUnits(old, item) + table.put(key, item);
    this.#count('writeUnits', units);
    for (const listener of this.#listeners) listener(table.name, old, item);
    const returned = input.ReturnValues === 'ALL_OLD' ? old : input.ReturnValues === 'ALL_NEW' || input.ReturnValues === 'UPDATED_NEW' ? item : undefined;
    return { output: { ...(returned ? { Attributes: returned } : {}), ...consumed(input, table, units) }, bytes: table.get(key)?.size ?? 0 };
  }

  #scan(input: Record<string, unknown>): { output: Record<string, unknown>; bytes: number } {
    const table = this.#table(input);
    const start = input.ExclusiveStartKey === undefined ? undefined : table.keyOf(input.ExclusiveStartKey as Item);
    const page = table.scanPage(start, input.Limit as number | undefined);
    const filter = input.FilterExpression;
    const items = page.items.map((s) => s.item).filter((item) => typeof filter !== 'string' || conditionHolds(filter, item, context(input)));
    return this.#pageOutput(input, table, page, items, input.ConsistentRead === true);
  }

  #query(input: Record<string, unknown>): { output: Record<string, unknown>; bytes: number } {
    const table = this.#table(input);
    const indexName = input.IndexName;
    if (typeof indexName !== 'string') throw new Error('Query is simulated on global secondary indexes only');
    if (input.ConsistentRead === true) throw new Error('ValidationException: consistent reads are not supported on global secondary indexes');
    const keyCondition = String(input.KeyConditionExpression);
    const hashValue = hashValueOf(keyCondition, input);
    const start = input.ExclusiveStartKey === undefined ? undefined : table.keyOf(input.ExclusiveStartKey as Item);
    const page = table.queryIndex(indexName, hashValue, (item) => conditionHolds(keyCondition, item, context(input)), start);
    return this.#pageOutput(input, table, page, page.items.map((s) => s.item), false);
  }

  #pageOutput(input: Record<string, unknown>, table: SimTable, page: Page, items: Item[], consistent: boolean): { output: Record<string, unknown>; bytes: number } {
    const units = readUnits(page.bytes, consistent);
    this.#count('readUnits', units);
    const last = page.lastKey === undefined ? undefined : page.items[page.items.length - 1]?.item;
    const lastKey = last === undefined ? undefined : keyItem(table, last);
    return {
      output: { Items: items, Count: items.length, ScannedCount: page.items.length, ...(lastKey ? { LastEvaluatedKey: lastKey } : {}), ...consumed(input, table, units) },
      bytes: page.bytes,
    };
  }
}

function context(input: Record<string, unknown>) {
  return { names: input.ExpressionAttributeNames as Record<string, string> | undefined, values: input.ExpressionAttributeValues as Record<string, never> | undefined };
}

/** The primary key attributes of an item. */
function keyItem(table: SimTable, item: Item): Item {
  const key: Item = {};
  for (const name of [table.hashKey, table.rangeKey]) if (name !== undefined && item[name] !== undefined) key[name] = item[name];
  return key;
}

function consumed(input: Record<string, unknown>, table: SimTable, units: number): Record<string, unknown> {
  const wanted = input.ReturnConsumedCapacity === 'TOTAL' || input.ReturnConsumedCapacity === 'INDEXES';
  return wanted ? { ConsumedCapacity: { TableName: table.name, CapacityUnits: units } } : {};
}

/** The value the key condition's hash-key equality names (`#owner = :owner`). */
function hashValueOf(keyCondition: string, input: Record<string, unknown>): string {
  const match = /^\s*\(?\s*([#\w]+)\s*=\s*(:\w+)/.exec(keyCondition);
  const value = match === null ? undefined : (input.ExpressionAttributeValues as Record<string, { S?: string; N?: string }> | undefined)?.[match[2]!];
  const text = value?.S ?? value?.N;
  if (text === undefined) throw new Error(`cannot find the hash key value in ${keyCondition}`);
  return text;
}
