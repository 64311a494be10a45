import { describe, expect, it } from 'vitest';
import { compileFleetUpdate, fleetAttributes, showsUpdate } from '../../../src/leases/fleet/fleet-update-expression.js';

describe('compileFleetUpdate', () => {
  it('uses placeholders for every name and value, increments from 0, and requires the item without createIfAbsent', () => {
    expect(
      compileFleetUpdate({ set: { ldr: 'w1' }, increment: { h1: 1 }, remove: ['m1'], conditions: [{ attribute: 'lc', equals: 3 }, { attribute: 'j1', exists: false }] }),
    ).toEqual({
      UpdateExpression: 'SET #a0 = :v0, #a1 = if_not_exists(#a1, :v1) + :v2 REMOVE #a5',
      ConditionExpression: 'attribute_exists(#a4) AND #a2 = :v3 AND attribute_not_exists(#a3)',
      ExpressionAttributeNames: { '#a0': 'ldr', '#a1': 'h1', '#a2': 'lc', '#a3': 'j1', '#a4': 'leaseKey', '#a5': 'm1' },
      ExpressionAttributeValues: { ':v0': { S: 'w1' }, ':v1': { N: '0' }, ':v2': { N: '1' }, ':v3': { N: '3' } },
    });
  });

  it('createIfAbsent sets entityType LEADER only if absent, and adds no existence condition', () => {
    expect(compileFleetUpdate({ createIfAbsent: true, increment: { sl: 1 } })).toEqual({
      UpdateExpression: 'SET #a0 = if_not_exists(#a0, :v0) + :v1, #a1 = if_not_exists(#a1, :v2)',
      ExpressionAttributeNames: { '#a0': 'sl', '#a1': 'entityType' },
      ExpressionAttributeValues: { ':v0': { N: '0' }, ':v1': { N: '1' }, ':v2': { S: 'LEADER' } },
    });
  });

  it('rejects an update that changes nothing', () => {
    expect(() => compileFleetUpdate({ conditions: [{ attribute: 'ldr', exists: true }] })).toThrow(TypeError);
  });
});

describe('fleetAttributes and showsUpdate', () => {
  const fleet = fleetAttributes({ leaseKey: { S: 'kinesis-kit:fleet' }, entityType: { S: 'LEADER' }, ldr: { S: 'w1' }, lc: { N: '4' }, odd: { BOOL: true } });

  it('keeps strings and numbers, without key and entityType', () => {
    expect(fleet).toEqual(new Map<string, string | number>([['ldr', 'w1'], ['lc', 4]]));
  });

  it('judges an update applied when its SETs hold and its REMOVEs are gone; never from increments alone', () => {
    expect(showsUpdate(fleet, { set: { ldr: 'w1', lc: 4 }, remove: ['m1'] })).toBe(true);
    expect(showsUpdate(fleet, { set: { lc: 5 } })).toBe(false);
    expect(showsUpdate(fleet, { remove: ['ldr'] })).toBe(false);
    expect(showsUpdate(fleet, { increment: { lc: 1 } })).toBe(false);
  });
});
