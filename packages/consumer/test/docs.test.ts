import { readFileSync } from 'node:fs';
import { renderOptionsTable } from '@kinesis-kit/core';
import { describe, expect, it } from 'vitest';
import { CONSUMER_OPTION_SPECS } from '../src/index.js';

const doc = readFileSync(new URL('../../../docs/consumer.md', import.meta.url), 'utf8');

describe('docs/consumer.md', () => {
  it('contains exactly the options table rendered from CONSUMER_OPTION_SPECS', () => {
    const start = '<!-- options:consumer:start -->\n';
    const end = '\n<!-- options:consumer:end -->';
    const table = doc.slice(doc.indexOf(start) + start.length, doc.indexOf(end));
    expect(doc.indexOf(start)).toBeGreaterThan(0);
    expect(table).toBe(renderOptionsTable(CONSUMER_OPTION_SPECS));
  });

  it('documents every lease metric and every consumer event', () => {
    for (const name of ['Leases.Held', 'Leases.Taken', 'Leases.Stolen', 'Leases.Lost', 'Leases.Released', 'DynamoDB.Requests', 'DynamoDB.Throttled']) {
      expect(doc).toContain(`\`${name}\``);
    }
    for (const event of ['started', 'stopped', 'leaseTaken', 'leaseLost', 'leaseReleased', 'shardStarted', 'shardFinished', 'leasesCreated', 'leasesCleanedUp', 'processing', 'error']) {
      expect(doc).toContain(`\`${event}\``);
    }
  });
});
