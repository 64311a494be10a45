import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startLoopbackNode } from './child-process.js';

export interface RunningEmulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Durations and limits chosen for tests: fast state changes, no shard limit in practice. */
const TEST_ENV = {
  LOG_LEVEL: 'WARN',
  ROOT_LOG_LEVEL: 'ERROR',
  SHARD_LIMIT: '100000',
  CREATE_STREAM_DURATION: '50ms',
  DELETE_STREAM_DURATION: '50ms',
  SPLIT_SHARD_DURATION: '50ms',
  MERGE_SHARDS_DURATION: '50ms',
  UPDATE_SHARD_COUNT_DURATION: '50ms',
  REGISTER_STREAM_CONSUMER_DURATION: '50ms',
  DEREGISTER_STREAM_CONSUMER_DURATION: '50ms',
  UPDATE_STREAM_MODE_DURATION: '50ms',
};

/**
 * Starts kinesis-local (the JavaScript build of kinesis-mock) as a child process on loopback,
 * on ports picked at run time. Only its plain HTTP/1.1 port is used (see emulators.md).
 */
export async function startKinesisLocal(env: Record<string, string> = {}): Promise<RunningEmulator> {
  const packageDir = path.dirname(createRequire(import.meta.url).resolve('kinesis-local/package.json'));
  const running = await startLoopbackNode(
    path.join(packageDir, 'main.js'),
    {
      ...TEST_ENV,
      ...env,
      KINESIS_MOCK_CERT_PATH: path.join(packageDir, 'server.json'),
      KINESIS_MOCK_PLAIN_PORT: '0',
      KINESIS_MOCK_TLS_PORT: '0',
    },
    2,
  );
  try {
    const plainPort = await findPlainHttpPort(running.ports);
    return { endpoint: `http://127.0.0.1:${plainPort}`, stop: running.stop };
  } catch (error) {
    await running.stop();
    throw error;
  }
}

/**
 * Of the two ports kinesis-local binds (TLS and plain), the one that answers plain HTTP. Asked
 * again until `timeoutMs`: on a loaded machine the emulator can take longer than one probe to answer.
 */
async function findPlainHttpPort(ports: readonly number[], timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  do {
    for (const port of ports) {
      if (await answersPlainHttp(port)) return port;
    }
  } while (Date.now() < deadline);
  throw new Error(`kinesis-local: none of the ports ${ports.join(', ')} answers plain HTTP`);
}

function answersPlainHttp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.request({ host: '127.0.0.1', port, method: 'GET', path: '/', timeout: 2_000 }, (response) => {
      response.resume();
      resolve(true);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve(false));
    request.end();
  });
}
