import { SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { aggregate } from '@kinesis-kit/aggregation';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createStream, kinesisClient, listAllShards, testAccountId, waitFor, waitForStreamActive, type TestStream } from '../../../test/harness/index.js';
import { putRecords, type RecordToPut } from './support/records.js';
import { emulatorEnv, endpointArgs, jsonLines, killAllClis, runCli, startCli, type CliEnvironment } from './support/cli.js';
import type { TailLine } from '../src/tail/output.js';

const encode = (text: string) => new TextEncoder().encode(text);

describe('kinesis-kit tail', () => {
  const accountId = testAccountId();
  const cli: CliEnvironment = { kinesisEndpoint: inject('kinesisEndpoint'), dynamoEndpoint: inject('dynamoEndpoint'), accountId };
  const env = emulatorEnv(cli);
  const streams: TestStream[] = [];
  let kinesis: KinesisClient;

  beforeAll(() => {
    kinesis = kinesisClient({ accountId });
  });
  afterEach(killAllClis);
  afterAll(async () => {
    await Promise.all(streams.map((s) => s.delete()));
    kinesis.destroy();
  });

  const newStream = async (shards: number) => {
    const stream = await createStream(kinesis, shards, 'cli-tail');
    streams.push(stream);
    return stream.streamName;
  };
  const put = (streamName: string, records: RecordToPut[]) => putRecords(kinesis, streamName, records);
  const tail = (streamName: string, ...options: string[]) => runCli(['tail', streamName, ...endpointArgs(cli), ...options], env);

  it('de-aggregates, prints UTF-8 or base64, and follows the children of a split in order', async () => {
    const streamName = await newStream(1);
    const binary = Uint8Array.of(0xff, 0xfe, 0x00, 0x80);
    const [outer] = aggregate(['a0', 'a1', 'a2'].map((t) => ({ partitionKey: `key-${t}`, data: encode(t) })));
    await put(streamName, [{ partitionKey: 'bin', data: binary }, { partitionKey: outer!.partitionKey, data: outer!.data, explicitHashKey: outer!.explicitHashKey }]);
    await put(streamName, [{ partitionKey: 'low', data: encode('before-low'), explicitHashKey: '1' }, { partitionKey: 'high', data: encode('before-high'), explicitHashKey: (2n ** 127n + 1n).toString() }]);
    const [parent] = await listAllShards(kinesis, streamName);
    await kinesis.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: parent!.ShardId!, NewStartingHashKey: (2n ** 127n).toString() }));
    await waitForStreamActive(kinesis, streamName);
    await put(streamName, [{ partitionKey: 'low', data: encode('after-low'), explicitHashKey: '1' }, { partitionKey: 'high', data: encode('after-high'), explicitHashKey: (2n ** 127n + 1n).toString() }]);

    const run = await tail(streamName, '--from', 'TRIM_HORIZON', '--stop-at-tip', '--poll-interval', '100');

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = jsonLines<TailLine>(run.stdout);
    const data = lines.map((l) => l.data);
    expect(data.slice(0, 6)).toEqual([Buffer.from(binary).toString('base64'), 'a0', 'a1', 'a2', 'before-low', 'before-high']);
    expect(data.slice(6).sort()).toEqual(['after-high', 'after-low']);
    expect(lines[0]).toMatchObject({ partitionKey: 'bin', encoding: 'base64', aggregated: false, subSequenceNumber: 0, shardId: parent!.ShardId });
    expect(lines.slice(1, 4).map((l) => [l.partitionKey, l.subSequenceNumber, l.aggregated, l.encoding])).toEqual([
      ['key-a0', 0, true, 'utf8'],
      ['key-a1', 1, true, 'utf8'],
      ['key-a2', 2, true, 'utf8'],
    ]);
    expect(new Set(lines.slice(1, 4).map((l) => l.sequenceNumber)).size).toBe(1);
    expect(lines.every((l) => l.arrivalTime !== null && !Number.isNaN(Date.parse(l.arrivalTime)))).toBe(true);
    const children = lines.slice(6).map((l) => l.shardId);
    expect(children).not.toContain(parent!.ShardId);
    expect(new Set(children).size).toBe(2);
  });

  it('from LATEST prints only records put after it started; --max-records ends it', async () => {
    const streamName = await newStream(2);
    await put(streamName, [{ partitionKey: 'k', data: encode('old') }]);
    const running = startCli(['tail', streamName, ...endpointArgs(cli), '--max-records', '1', '--poll-interval', '50'], env);
    // The tail starts reading at some point after spawning: keep putting until it prints one.
    let n = 0;
    await waitFor(
      async () => {
        await put(streamName, [{ partitionKey: `k${n}`, data: encode(`new-${n++}`) }]);
        return running.stdout().includes('\n');
      },
      { intervalMs: 200, timeoutMs: 30_000, description: 'tail to print a record' },
    );
    const run = await running.exited;
    expect(run.code).toBe(0);
    const lines = jsonLines<TailLine>(run.stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.data).toMatch(/^new-\d+$/);
  });

  it('from a timestamp prints the records that arrived at or after it', async () => {
    const streamName = await newStream(1);
    await put(streamName, [{ partitionKey: 'k', data: encode('first') }]);
    const firstArrival = Date.parse(jsonLines<TailLine>((await tail(streamName, '--from', 'TRIM_HORIZON', '--stop-at-tip')).stdout)[0]!.arrivalTime!);
    await waitFor(() => Date.now() > firstArrival + 5, { description: 'the clock to pass the first arrival' });
    await put(streamName, [{ partitionKey: 'k', data: encode('second') }]);
    const run = await tail(streamName, '--from', new Date(firstArrival + 1).toISOString(), '--stop-at-tip');
    expect(run.code).toBe(0);
    expect(jsonLines<TailLine>(run.stdout).map((l) => l.data)).toEqual(['second']);
  });

  it('ends with exit code 0 on SIGINT', async () => {
    const streamName = await newStream(1);
    await put(streamName, [{ partitionKey: 'k', data: encode('x') }]);
    const running = startCli(['tail', streamName, ...endpointArgs(cli), '--from', 'TRIM_HORIZON', '--poll-interval', '50'], env);
    await waitFor(() => running.stdout().includes('\n'), { timeoutMs: 30_000, description: 'tail to print the record' });
    running.child.kill('SIGINT');
    const run = await running.exited;
    expect(run.code).toBe(0);
  });

  it('a missing stream is exit code 3, a bad --from exit code 2', async () => {
    const missing = await tail('no-such-stream', '--from', 'TRIM_HORIZON');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('stream no-such-stream does not exist');
    const bad = await tail('whatever', '--from', 'yesterday');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('INVALID_POSITION');
  });
});
