import { readFileSync } from 'node:fs';
import { renderOptionsTable } from '@kinesis-kit/core';
import { describe, expect, it } from 'vitest';
import { LIFECYCLE, METRICS, PRODUCER_OPTIONS, type ProducerEventMap } from '../src/index.js';

const doc = readFileSync(new URL('../../../docs/producer.md', import.meta.url), 'utf8');

describe('docs/producer.md', () => {
  it('contains exactly the options table rendered from PRODUCER_OPTIONS', () => {
    const start = '<!-- options:producer:start -->\n';
    const end = '\n<!-- options:producer:end -->';
    expect(doc.indexOf(start)).toBeGreaterThan(0);
    expect(doc.slice(doc.indexOf(start) + start.length, doc.indexOf(end))).toBe(renderOptionsTable(PRODUCER_OPTIONS));
  });

  it('documents every metric, every event and every state', () => {
    for (const name of Object.values(METRICS)) expect(doc).toContain(`\`${name}\``);
    const events: Record<keyof ProducerEventMap, true> = {
      request: true,
      retry: true,
      throttled: true,
      recordFailed: true,
      misroutedAggregate: true,
      shardMapRefreshed: true,
      shardMapRefreshFailed: true,
      stateChange: true,
    };
    for (const name of Object.keys(events)) expect(doc).toContain(`| \`${name}\` |`);
    for (const state of Object.keys(LIFECYCLE)) expect(doc).toContain(`| \`${state}\` |`);
  });
});
