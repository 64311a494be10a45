import { describe, expect, it } from 'vitest';
import { EmfMetrics } from '../src/index.js';

const clock = { now: () => 1_700_000_000_000, sleep: async () => undefined };

function collect() {
  const lines: string[] = [];
  const metrics = new EmfMetrics({ namespace: 'KinesisKit', write: (line) => lines.push(line), dimensions: { application: 'orders' }, flushIntervalMs: 0, clock });
  const documents = () => lines.map((line) => JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] } });
  return { metrics, lines, documents };
}

describe('EmfMetrics', () => {
  it('writes one EMF document per dimension set with summed counters, last gauges and timing values', () => {
    const { metrics, lines, documents } = collect();
    metrics.count('UserRecordsPut', 3, { shardId: 's1' });
    metrics.count('UserRecordsPut', 2, { shardId: 's1' });
    metrics.gauge('LeasesHeld', 4);
    metrics.gauge('LeasesHeld', 5);
    metrics.timing('RequestTime', 12, { shardId: 's1' });
    metrics.timing('RequestTime', 30, { shardId: 's1' });
    metrics.flush();
    expect(lines.every((line) => line.endsWith('\n'))).toBe(true);
    const [shard, worker] = documents();
    expect(shard).toEqual({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: 'KinesisKit',
            Dimensions: [['application', 'shardId']],
            Metrics: [
              { Name: 'UserRecordsPut', Unit: 'Count' },
              { Name: 'RequestTime', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      application: 'orders',
      shardId: 's1',
      UserRecordsPut: 5,
      RequestTime: [12, 30],
    });
    expect(worker).toMatchObject({ application: 'orders', LeasesHeld: 5 });
  });

  it('writes nothing when nothing was recorded, and starts afresh after a flush', () => {
    const { metrics, lines } = collect();
    metrics.flush();
    expect(lines).toEqual([]);
    metrics.count('X');
    metrics.flush();
    metrics.flush();
    expect(lines).toHaveLength(1);
  });

  it('keeps each document within the EMF limits of 100 metrics and 100 values per metric', () => {
    const { metrics, documents } = collect();
    for (let i = 0; i < 150; i++) metrics.count(`M${i}`);
    for (let i = 0; i < 250; i++) metrics.timing('T', i);
    metrics.close();
    const all = documents();
    for (const document of all) {
      expect(document._aws.CloudWatchMetrics[0]!.Metrics.length).toBeLessThanOrEqual(100);
      const timings = document.T;
      if (Array.isArray(timings)) expect(timings.length).toBeLessThanOrEqual(100);
    }
    const timingValues = all.flatMap((d) => (d.T === undefined ? [] : ([] as unknown[]).concat(d.T)));
    expect(timingValues).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(all.reduce((n, d) => n + Object.keys(d).filter((k) => /^M\d+$/.test(k)).length, 0)).toBe(150);
  });
});
