import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { deaggregate } from '@kinesis-kit/aggregation';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createStream, FaultProxy, kinesisClient, readAllRecords, testAccountId, type TestStream } from '../../../test/harness/index.js';
import { emulatorEnv, endpointArgs, killAllClis, runCli, type CliEnvironment } from './support/cli.js';

const text = (data: Uint8Array) => new TextDecoder().decode(data);

describe('kinesis-kit put', () => {
  const accountId = testAccountId();
  const cli: CliEnvironment = { kinesisEndpoint: inject('kinesisEndpoint'), dynamoEndpoint: inject('dynamoEndpoint'), accountId };
  const env = emulatorEnv(cli);
  const streams: TestStream[] = [];
  const proxies: FaultProxy[] = [];
  let kinesis: KinesisClient;

  beforeAll(() => {
    kinesis = kinesisClient({ accountId });
  });
  afterEach(async () => {
    await killAllClis();
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    await Promise.all(streams.map((s) => s.delete()));
    kinesis.destroy();
  });

  const newStream = async (shards: number) => {
    const stream = await createStream(kinesis, shards, 'cli-put');
    streams.push(stream);
    return stream.streamName;
  };
  /** Every user record in the stream, de-aggregated with the aggregation package (not the CLI). */
  const userRecords = async (streamName: string) => (await readAllRecords(kinesis, streamName)).flatMap((r) => deaggregate(r));

  it('writes one record per line, aggregated, with the partition key from a field, and prints a summary', async () => {
    const streamName = await newStream(2);
    const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({ id: i, order: { customer: `c${i % 7}` } }));

    const run = await runCli(['put', streamName, ...endpointArgs(cli), '--partition-key-field', 'order.customer'], env, `${lines.join('\n')}\n`);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^put ${streamName}: 300 written, 0 failed, 0 rejected, 0 empty lines skipped \\(300 lines\\)`));
    const written = await userRecords(streamName);
    expect(written.map((r) => text(r.data)).sort()).toEqual([...lines].sort());
    for (const record of written) expect(record.partitionKey).toBe(`c${(JSON.parse(text(record.data)) as { id: number }).id % 7}`);
    expect(written.some((r) => r.aggregated)).toBe(true);
    const kinesisRecords = Number(/(\d+) Kinesis records/.exec(run.stdout)![1]);
    expect(kinesisRecords).toBeLessThan(300);
  });

  it('random partition keys without a field; bad lines are rejected by line number, the rest written, exit code 1', async () => {
    const streamName = await newStream(1);
    const input = ['{"k":"a"}', 'not json', '', '{"other":1}', '{"k":"b"}'].join('\n');

    const keyed = await runCli(['put', streamName, ...endpointArgs(cli), '--partition-key-field', 'k'], env, input);

    expect(keyed.code).toBe(1);
    expect(keyed.stderr).toContain('line 2: rejected: not JSON');
    expect(keyed.stderr).toContain('line 4: rejected: no field k');
    expect(keyed.stdout).toContain('2 written, 0 failed, 2 rejected, 1 empty lines skipped (5 lines)');
    const random = await runCli(['put', streamName, ...endpointArgs(cli)], env, 'x\ny\n');
    expect(random.code).toBe(0);
    const written = await userRecords(streamName);
    expect(written.map((r) => text(r.data)).sort()).toEqual(['x', 'y', '{"k":"a"}', '{"k":"b"}'].sort());
    const randomKeys = written.filter((r) => ['x', 'y'].includes(text(r.data))).map((r) => r.partitionKey);
    for (const key of randomKeys) expect(key).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('retries throttled and failed writes (injected) and still writes every line; --progress draws the progress line', async () => {
    const streamName = await newStream(1);
    const proxy = await FaultProxy.start(cli.kinesisEndpoint, ({ operation }) => {
      if (operation !== 'PutRecords') return undefined;
      const seen = proxy.count('PutRecords');
      if (seen === 0) return { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' };
      if (seen === 1) return { kind: 'error', status: 500, code: 'InternalFailure' };
      return undefined;
    });
    proxies.push(proxy);
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}`);

    const run = await runCli(['put', streamName, '--kinesis-endpoint', proxy.endpoint, '--progress'], env, lines.join('\n'));

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('50 written, 0 failed');
    expect(proxy.count('PutRecords', 'error')).toBe(2);
    expect(run.stderr).toContain('read 50 lines, written 50, failed 0, in flight 0\n');
    expect((await userRecords(streamName)).map((r) => text(r.data)).sort()).toEqual([...lines].sort());
  });

  it('a missing stream is exit code 3 and reads no input', async () => {
    const run = await runCli(['put', 'no-such-stream', ...endpointArgs(cli)], env, 'x\n');
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('stream no-such-stream does not exist');
    expect(run.stdout).toBe('');
  });
});
