import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createStream, FaultProxy, kinesisClient, testAccountId, uniqueName, waitFor, type TestStream } from './harness/index.js';
import { putTexts } from './workers/fixtures.js';

const LOADER = fileURLToPath(new URL('./workers/ts-loader.mjs', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./workers/consumer-worker.ts', import.meta.url));

// The worker runs in its own process: whether anything the consumer left behind (a timer, a
// socket, a retry loop) keeps a process alive can only be seen from a process that must exit by itself.
describe('KinesisConsumer.stop() is bounded', () => {
  const accountId = testAccountId();
  let kinesis: KinesisClient | undefined;
  let stream: TestStream | undefined;
  let proxy: FaultProxy | undefined;
  let kill: (() => void) | undefined;

  afterEach(async () => {
    kill?.();
    await proxy?.close();
    await stream?.delete();
    kinesis?.destroy();
  });

  it('returns, and the process exits by itself, when a processor ignores its signal and DynamoDB stops answering', async () => {
    kinesis = kinesisClient({ accountId });
    stream = await createStream(kinesis, 1, 'stop');
    await putTexts(kinesis, stream.streamName, ['a', 'b', 'c'], ['k']);
    proxy = await FaultProxy.start(inject('dynamoEndpoint'));
    const env = {
      WORKER_ID: 'stopper',
      KINESIS_ENDPOINT: inject('kinesisEndpoint'),
      DYNAMO_ENDPOINT: proxy.endpoint,
      ACCOUNT_ID: accountId,
      STREAM_NAME: stream.streamName,
      APPLICATION_NAME: uniqueName('app'),
      CONSUMER_TUNABLES: JSON.stringify({ gracefulShutdownTimeoutMillis: 1_000 }),
      STUCK_PROCESSOR: '1',
    };
    const child = spawn(process.execPath, ['--conditions=kinesis-kit-source', '--import', LOADER, SCRIPT], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    kill = () => child.kill('SIGKILL');
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4_000)));
    let exitCode: number | null | undefined;
    child.once('exit', (code) => (exitCode = code));
    const lines = () => out.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { type: string; leasesHeld?: string[] });

    await waitFor(() => lines().some((l) => l.type === 'processing'), { timeoutMs: 30_000, description: `the processor to be called (${err})` });
    // From now on no renewal, release or scan is ever answered.
    proxy.setPlan(({ operation }) => (operation === 'UpdateItem' || operation === 'Scan' ? { kind: 'blackHole' } : undefined));
    child.kill('SIGTERM');
    await waitFor(() => exitCode !== undefined, { timeoutMs: 30_000, description: `the worker to exit by itself (${out} ${err})` });

    expect(exitCode).toBe(0);
    expect(lines().find((l) => l.type === 'stopped')).toMatchObject({ workerId: 'stopper', type: 'stopped', leasesHeld: [] });
    expect(proxy.count('UpdateItem', 'blackHole') + proxy.count('Scan', 'blackHole')).toBeGreaterThan(0);
  }, 120_000);
});
