import { readFileSync } from 'node:fs';
import { renderOptionsTable } from '@kinesis-kit/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUMENTS, OTEL_METRICS_OPTIONS, type InstrumentMapping } from '@kinesis-kit/otel';

const doc = readFileSync(new URL('../../../docs/observability.md', import.meta.url), 'utf8');

function between(name: string): string {
  const start = `<!-- ${name}:start -->\n`;
  const end = `\n<!-- ${name}:end -->`;
  expect(doc.indexOf(start), name).toBeGreaterThan(0);
  return doc.slice(doc.indexOf(start) + start.length, doc.indexOf(end));
}

/** One row per metric: our name, the OTel instrument, its kind and unit, fixed attributes and renamed dimensions. */
function renderInstrumentsTable(mappings: Readonly<Record<string, InstrumentMapping>>): string {
  const rows = Object.entries(mappings).map(([ours, m]) => {
    const attributes = Object.entries(m.attributes ?? {}).map(([k, v]) => `\`${k}=${String(v)}\``);
    const dimensions = Object.entries(m.dimensions ?? {}).map(([k, v]) => `\`${k}\` as \`${v}\``);
    const scale = m.scale === 0.001 ? ' (ms / 1000)' : '';
    return `| \`${ours}\` | \`${m.name}\` | ${m.kind} | \`${m.unit}\`${scale} | ${[...attributes, ...dimensions].join(', ')} |`;
  });
  return ['| ours | OTel instrument | kind | unit | attributes |', '|---|---|---|---|---|', ...rows].join('\n');
}

describe('docs/observability.md, OpenTelemetry section', () => {
  it('contains exactly the options table rendered from OTEL_METRICS_OPTIONS', () => {
    expect(between('options:otel')).toBe(renderOptionsTable(OTEL_METRICS_OPTIONS));
  });

  it('contains exactly the instruments table rendered from DEFAULT_INSTRUMENTS', () => {
    expect(between('instruments:otel')).toBe(renderInstrumentsTable(DEFAULT_INSTRUMENTS));
  });
});
