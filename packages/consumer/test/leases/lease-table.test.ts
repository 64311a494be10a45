import type { TableDescription } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { ensureLeaseTable, type LeaseTableApi } from '../../src/leases/lease-table.js';

const KEY: Pick<TableDescription, 'KeySchema' | 'AttributeDefinitions'> = {
  KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
  AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
};

/** A LeaseTableApi answering DescribeTable from a script (the emulators never show UPDATING long enough to test). */
function scriptedApi(descriptions: (TableDescription | undefined)[]): LeaseTableApi & { calls: string[] } {
  const calls: string[] = [];
  return {
    tableName: 't',
    calls,
    describeTable: () => {
      calls.push('describe');
      return Promise.resolve(descriptions.length > 1 ? descriptions.shift() : descriptions[0]);
    },
    createTable: () => {
      calls.push('create');
      return Promise.resolve('created');
    },
    addOwnerIndex: () => {
      calls.push('addIndex');
      return Promise.resolve();
    },
  };
}

/** Every reading of the clock is 100 ms later: a wait that never ends times out after 10 polls. */
let time = 0;
const clock = { now: () => (time += 100), sleep: () => Promise.resolve() };
const options = { clock, timeoutMs: 1_000, pollMs: 1 };

describe('ensureLeaseTable', () => {
  it('uses a table that is UPDATING (its GSI being added) without waiting for ACTIVE', async () => {
    const api = scriptedApi([{ ...KEY, TableStatus: 'UPDATING', GlobalSecondaryIndexes: [{ IndexName: 'LeaseOwnerToLeaseKeyIndex', IndexStatus: 'CREATING' }] }]);
    expect(await ensureLeaseTable(api, options)).toBe('exists');
    expect(api.calls).toEqual(['describe']);
  });

  it('adds the GSI to an ACTIVE table without it, once, after the schema check', async () => {
    const api = scriptedApi([{ ...KEY, TableStatus: 'ACTIVE' }]);
    expect(await ensureLeaseTable(api, options)).toBe('exists');
    expect(api.calls).toEqual(['describe', 'addIndex']);
  });

  it('waits for a table being CREATING, then adds the GSI if it has none', async () => {
    const api = scriptedApi([{ ...KEY, TableStatus: 'CREATING' }, { ...KEY, TableStatus: 'CREATING' }, { ...KEY, TableStatus: 'ACTIVE' }]);
    expect(await ensureLeaseTable(api, options)).toBe('exists');
    expect(api.calls).toEqual(['describe', 'describe', 'describe', 'addIndex']);
  });

  it('creates an absent table (with its GSI) and waits for it', async () => {
    const api = scriptedApi([undefined, { ...KEY, TableStatus: 'ACTIVE' }]);
    expect(await ensureLeaseTable(api, options)).toBe('created');
    expect(api.calls).toEqual(['describe', 'create', 'describe']);
  });
});
