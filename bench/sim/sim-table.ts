import type { AttributeValue, GlobalSecondaryIndex, KeySchemaElement, Projection } from '@aws-sdk/client-dynamodb';
import { itemSize, PAGE_LIMIT_BYTES, writeUnits, type Item } from './capacity.js';

/** One stored item with its size cached (a scan sums thousands of them). */
export interface Stored {
  readonly item: Item;
  readonly size: number;
}

interface IndexSpec {
  readonly name: string;
  readonly hash: string;
  readonly range: string | undefined;
  readonly projection: Projection;
  /** Hash key value -> primary keys of the items in that partition of the index. */
  readonly partitions: Map<string, Set<string>>;
}

export interface Page {
  readonly items: readonly Stored[];
  /** Total bytes read for the page (what read units are charged on). */
  readonly bytes: number;
  readonly lastKey: string | undefined;
}

const keyValue = (value: AttributeValue | undefined): string | undefined => value?.S ?? value?.N ?? (value?.B === undefined ? undefined : Buffer.from(value.B).toString('base64'));

/**
 * A table as DynamoDB keeps it: items by primary key, scanned in key order in pages of at most
 * 1 MB, and global secondary indexes kept in step with every write (whose index writes cost
 * write units too: a put of the new entry, a delete of the old one).
 */
export class SimTable {
  readonly #items = new Map<string, Stored>();
  #sortedKeys: string[] | undefined = [];
  readonly #indexes: IndexSpec[];
  readonly createdAt = new Date();

  constructor(
    readonly name: string,
    readonly keySchema: readonly KeySchemaElement[],
    readonly attributeDefinitions: readonly { AttributeName?: string | undefined; AttributeType?: string | undefined }[],
    readonly gsis: readonly GlobalSecondaryIndex[],
  ) {
    this.#indexes = gsis.map((g) => ({
      name: g.IndexName ?? '',
      hash: g.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '',
      range: g.KeySchema?.find((k) => k.KeyType === 'RANGE')?.AttributeName,
      projection: g.Projection ?? { ProjectionType: 'ALL' },
      partitions: new Map(),
    }));
  }

  get hashKey(): string {
    return this.keySchema.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '';
  }

  get rangeKey(): string | undefined {
    return this.keySchema.find((k) => k.KeyType === 'RANGE')?.AttributeName;
  }

  get itemCount(): number {
    return this.#items.size;
  }

  /** The primary key of an item (or of a Key map) as one string. */
  keyOf(item: Item): string {
    const hash = keyValue(item[this.hashKey]);
    if (hash === undefined) throw new Error(`missing hash key ${this.hashKey}`);
    const range = this.rangeKey === undefined ? undefined : keyValue(item[this.rangeKey]);
    return range === undefined ? hash : `${hash}\u0000${range}`;
  }

  values(): IterableIterator<Stored> {
    return this.#items.values();
  }

  get(key: string): Stored | undefined {
    return this.#items.get(key);
  }

  /** Writes (or deletes, with undefined) an item; returns the index write units it cost. */
  put(key: string, item: Item | undefined): number {
    const before = this.#items.get(key);
    if (item === undefined) this.#items.delete(key);
    else this.#items.set(key, { item, size: itemSize(item) });
    if ((before === undefined) !== (item === undefined)) this.#sortedKeys = undefined;
    return this.#indexes.reduce((units, index) => units + this.#updateIndex(index, key, before?.item, item), 0);
  }

  /** One page of a scan in key order, starting after `startKey`, at most `limit` items and 1 MB. */
  scanPage(startKey: string | undefined, limit: number | undefined): Page {
    const keys = this.#keys();
    let i = startKey === undefined ? 0 : upperBound(keys, startKey);
    const items: Stored[] = [];
    let bytes = 0;
    while (i < keys.length && (limit === undefined || items.length < limit) && bytes < PAGE_LIMIT_BYTES) {
      const stored = this.#items.get(keys[i++]!)!;
      items.push(stored);
      bytes += stored.size;
    }
    return { items, bytes, lastKey: i < keys.length ? keys[i - 1] : undefined };
  }

  /** The items of one partition of a GSI (projected), in range key order, paged like a scan. */
  queryIndex(indexName: string, hashValue: string, accept: (item: Item) => boolean, startKey: string | undefined): Page & { readonly index: { hash: string; range: string | undefined } } {
    const index = this.#indexes.find((i) => i.name === indexName);
    if (index === undefined) throw new Error(`no index ${indexName}`);
    const members = [...(index.partitions.get(hashValue) ?? [])]
      .map((key) => ({ key, item: this.project(index, this.#items.get(key)!.item) }))
      .filter(({ item }) => accept(item))
      .sort((a, b) => compareKeys(keyValue(a.item[index.range ?? '']) ?? a.key, keyValue(b.item[index.range ?? '']) ?? b.key));
    const start = startKey === undefined ? 0 : members.findIndex((m) => m.key === startKey) + 1;
    const items: Stored[] = [];
    let bytes = 0;
    let i = start;
    for (; i < members.length && bytes < PAGE_LIMIT_BYTES; i++) {
      const size = itemSize(members[i]!.item);
      items.push({ item: members[i]!.item, size });
      bytes += size;
    }
    return { items, bytes, lastKey: i < members.length ? members[i - 1]!.key : undefined, index: { hash: index.hash, range: index.range } };
  }

  /** What an index stores of an item: its keys, the table's keys, and the projected attributes. */
  project(index: IndexSpec, item: Item): Item {
    if (index.projection.ProjectionType === 'ALL') return item;
    const names = [this.hashKey, this.rangeKey, index.hash, index.range, ...(index.projection.NonKeyAttributes ?? [])];
    const projected: Item = {};
    for (const name of names) if (name !== undefined && item[name] !== undefined) projected[name] = item[name];
    return projected;
  }

  #updateIndex(index: IndexSpec, key: string, before: Item | undefined, after: Item | undefined): number {
    const entry = (item: Item | undefined) => (item === undefined || item[index.hash] === undefined || (index.range !== undefined && item[index.range] === undefined) ? undefined : item);
    const [old, now] = [entry(before), entry(after)];
    const partition = (item: Item) => keyValue(item[index.hash])!;
    if (old !== undefined) index.partitions.get(partition(old))?.delete(key);
    if (now !== undefined) {
      const members = index.partitions.get(partition(now)) ?? new Set<string>();
      members.add(key);
      index.partitions.set(partition(now), members);
    }
    if (old === undefined && now === undefined) return 0;
    if (old === undefined || now === undefined) return writeUnits(old && this.project(index, old), now && this.project(index, now));
    const [p, q] = [this.project(index, old), this.project(index, now)];
    const sameKeys = keyValue(old[index.hash]) === keyValue(now[index.hash]) && (index.range === undefined || keyValue(old[index.range]) === keyValue(now[index.range]));
    if (!sameKeys) return writeUnits(p, undefined) + writeUnits(undefined, q); // delete the old entry, put the new one
    return JSON.stringify(p) === JSON.stringify(q) ? 0 : writeUnits(p, q);
  }

  #keys(): string[] {
    this.#sortedKeys ??= [...this.#items.keys()].sort(compareKeys);
    return this.#sortedKeys;
  }
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The index of the first key greater than `key` in sorted `keys`. */
function upperBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
