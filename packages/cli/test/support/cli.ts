// Runs the `kinesis-kit` bin in a child process, as a user types it: arguments, stdin, stdout,
// stderr and the exit code. The bin runs from source (the TypeScript loader of test/workers), so
// tests never depend on a stale dist/; the built bin is checked by bin.test.ts. Nothing here
// imports vitest, so the transcript script (cli-transcript.ts) uses it too.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LOADER = fileURLToPath(new URL('../../../../test/workers/ts-loader.mjs', import.meta.url));
const BIN = fileURLToPath(new URL('../../src/bin.ts', import.meta.url));
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface CliEnvironment {
  readonly kinesisEndpoint: string;
  readonly dynamoEndpoint: string;
  /** The emulators' namespace: the access key id. */
  readonly accountId: string;
}

/** Environment of a user pointed at the emulators: credentials in the environment, nothing else. */
export function emulatorEnv(env: CliEnvironment): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: env.accountId,
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** The connection options for the emulators, as typed on the command line. */
export function endpointArgs(env: CliEnvironment): string[] {
  return ['--kinesis-endpoint', env.kinesisEndpoint, '--dynamodb-endpoint', env.dynamoEndpoint];
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningCli {
  readonly child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<CliRun>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts `kinesis-kit <args>`; `input` is written to its stdin, which is then closed. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv, input = ''): RunningCli {
  const child = spawn(process.execPath, ['--conditions=kinesis-kit-source', '--import', LOADER, BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(input);
  const exited = new Promise<CliRun>((resolve) =>
    child.once('close', (code) => {
      running.delete(child);
      resolve({ code, stdout, stderr });
    }),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs `kinesis-kit <args>` to its end. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, input = ''): Promise<CliRun> {
  return startCli(args, env, input).exited;
}

/** SIGKILLs every CLI process still running (afterEach), so a failing test leaves none behind. */
export async function killAllClis(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** The JSON lines a command printed. */
export function jsonLines<T>(stdout: string): T[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}
