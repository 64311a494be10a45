// kinesis-local (the JavaScript build of kinesis-mock) as a child process on loopback, for the
// benchmarks that need a real Kinesis API (fan-out). The same start-up as the test harness
// (test/harness/emulators/kinesis-local.ts), which benchmarks cannot import: it depends on vitest.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PRELOAD = join(repoRoot, 'test', 'harness', 'loopback-preload.cjs');

export interface KinesisLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startKinesisLocal(): Promise<KinesisLocal> {
  const packageDir = dirname(createRequire(import.meta.url).resolve('kinesis-local/package.json'));
  const env = {
    ...process.env,
    LOG_LEVEL: 'WARN',
    ROOT_LOG_LEVEL: 'ERROR',
    SHARD_LIMIT: '100000',
    CREATE_STREAM_DURATION: '50ms',
    DELETE_STREAM_DURATION: '50ms',
    REGISTER_STREAM_CONSUMER_DURATION: '50ms',
    DEREGISTER_STREAM_CONSUMER_DURATION: '50ms',
    KINESIS_MOCK_CERT_PATH: join(packageDir, 'server.json'),
    KINESIS_MOCK_PLAIN_PORT: '0',
    KINESIS_MOCK_TLS_PORT: '0',
  };
  const child = spawn(process.execPath, ['--require', PRELOAD, join(packageDir, 'main.js')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ports = await listeningPorts(child, 2);
  for (const port of ports) {
    if (await answersPlainHttp(port)) return { endpoint: `http://127.0.0.1:${port}`, stop: () => stop(child) };
  }
  await stop(child);
  throw new Error(`kinesis-local: none of the ports ${ports.join(', ')} answers plain HTTP`);
}

/** The ports the preload reports (`LOOPBACK_LISTENING <port>` on stderr). */
function listeningPorts(child: ChildProcess, count: number): Promise<number[]> {
  return new Promise((resolvePorts, reject) => {
    const ports: number[] = [];
    const timer = setTimeout(() => reject(new Error('kinesis-local did not listen within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`kinesis-local exited (${code}) before listening`)));
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const match of chunk.toString().matchAll(/LOOPBACK_LISTENING (\d+)/g)) ports.push(Number(match[1]));
      if (ports.length >= count) {
        clearTimeout(timer);
        resolvePorts(ports);
      }
    });
  });
}

function answersPlainHttp(port: number): Promise<boolean> {
  return new Promise((resolveAnswer) => {
    const request = http.request({ host: '127.0.0.1', port, path: '/', timeout: 2_000 }, (response) => {
      response.resume();
      resolveAnswer(true);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolveAnswer(false));
    request.end();
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}
