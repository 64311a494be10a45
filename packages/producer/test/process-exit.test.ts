// A producer with nothing left to do must not hold the process open: it runs in a child process
// that never calls close(), and the child must end by itself. Port-free: the child talks to
// kinesis-local (or to a port nobody listens on) through a real SDK client.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStream, kinesisClient, testAccountId, waitFor, type TestStream } from '../../../test/harness/index.js';

const LOADER = fileURLToPath(new URL('../../../test/workers/ts-loader.mjs', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./support/lone-producer.ts', import.meta.url));

interface Report {
  readonly written: number;
  readonly failed: readonly { readonly code: string; readonly causeCode: string; readonly cause?: string }[];
}

interface Run {
  readonly exitCode: number | null;
  readonly report: Report | undefined;
  readonly stderr: string;
}

/**
 * Runs the lone producer and waits for the process to end by itself, up to `deadlineMs` (far less
 * than the recordTtl the producer is given, so a timer armed for a record's expiry would show).
 * A child still running at the deadline is killed and the test fails.
 */
async function runLoneProducer(env: Record<string, string>, deadlineMs: number): Promise<Run> {
  const child = spawn(process.execPath, ['--conditions=kinesis-kit-source', '--import', LOADER, SCRIPT], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  let exitCode: number | null | undefined;
  child.once('exit', (code) => (exitCode = code));
  try {
    await waitFor(() => exitCode !== undefined, { timeoutMs: deadlineMs, intervalMs: 50, description: 'the lone producer to exit by itself' });
  } catch (error) {
    throw new Error(`${String(error)}; it printed: ${stdout === '' ? '(nothing)' : stdout}`);
  } finally {
    if (exitCode === undefined) child.kill('SIGKILL');
  }
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  return { exitCode: exitCode ?? null, report: line === undefined ? undefined : (JSON.parse(line) as Report), stderr };
}

/** A loopback port with nothing listening on it (bound, then closed): connections are refused. */
async function refusedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('an idle producer lets the process exit (child process, kinesis-local)', () => {
  const accountId = testAccountId();
  let client: KinesisClient;
  let stream: TestStream;

  beforeAll(async () => {
    client = kinesisClient({ accountId });
    stream = await createStream(client, 2, 'exit');
  });

  afterAll(async () => {
    await stream.delete();
    client.destroy();
  });

  it.each([
    ['ordered', { ordering: 'per-shard', aggregation: false }],
    ['ordered, aggregated', { ordering: 'per-shard', aggregation: { maxSize: 200 } }],
    ['unordered', { ordering: 'none' }],
  ] as const)('%s: once every put settled, the process ends without close()', async (_, options) => {
    const run = await runLoneProducer(
      {
        KINESIS_ENDPOINT: inject('kinesisEndpoint'),
        ACCOUNT_ID: accountId,
        STREAM_NAME: stream.streamName,
        RECORDS: '60',
        PRODUCER_OPTIONS: JSON.stringify({ ...options, recordTtl: 600_000, recordMaxBufferedTime: 20 }),
      },
      25_000,
    );
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.report).toEqual({ written: 60, failed: [] });
  });

  it('records buffered with nothing awaiting them keep the process alive until they are written', async () => {
    // Regression: the pipeline's wake-up timer is all that is pending while records wait for
    // recordMaxBufferedTime; if it did not hold the process, Node would exit with them unsent.
    const run = await runLoneProducer(
      {
        KINESIS_ENDPOINT: inject('kinesisEndpoint'),
        ACCOUNT_ID: accountId,
        STREAM_NAME: stream.streamName,
        RECORDS: '20',
        PUT_WITHOUT_AWAIT: '1',
        PRODUCER_OPTIONS: JSON.stringify({ recordTtl: 600_000, recordMaxBufferedTime: 1_000 }),
      },
      25_000,
    );
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.report).toEqual({ written: 20, failed: [] });
  });

  it('ListShards failing at startup (wrong endpoint): records expire with the cause, and ListShards stops so the process ends', async () => {
    const run = await runLoneProducer(
      {
        KINESIS_ENDPOINT: await refusedEndpoint(),
        ACCOUNT_ID: accountId,
        STREAM_NAME: stream.streamName,
        RECORDS: '3',
        PRODUCER_OPTIONS: JSON.stringify({ recordTtl: 1_500, backoff: { initialDelayMs: 50, maxDelayMs: 200 } }),
      },
      25_000,
    );
    expect(run.exitCode).toBe(0);
    expect(run.report?.written).toBe(0);
    expect(run.report?.failed).toEqual(Array.from({ length: 3 }, () => ({ code: 'EXPIRED', causeCode: 'ECONNREFUSED', cause: expect.any(String) as string })));
  });
});
