// Starts consumer-worker.ts in child processes and collects what they print. Every child started
// here is killed by killAllWorkers() (call it in afterEach) and, as a last resort, when this
// process exits, so a failing test never leaves workers behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LOADER = fileURLToPath(new URL('./ts-loader.mjs', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./consumer-worker.ts', import.meta.url));

/** A line a worker printed (a processor report, a lease event, stats). */
export type WorkerLine = { readonly type: string; readonly workerId: string } & Record<string, unknown>;

export interface WorkerProcess {
  readonly workerId: string;
  readonly child: ChildProcess;
  readonly lines: WorkerLine[];
  /** stderr, bounded, for failure messages. */
  stderr(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
}

export interface WorkerEnv {
  readonly KINESIS_ENDPOINT: string;
  readonly DYNAMO_ENDPOINT: string;
  readonly ACCOUNT_ID: string;
  readonly STREAM_NAME: string;
  readonly APPLICATION_NAME: string;
  readonly CONSUMER_TUNABLES?: string;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function startWorker(workerId: string, env: WorkerEnv): WorkerProcess {
  const child = spawn(process.execPath, ['--conditions=kinesis-kit-source', '--import', LOADER, SCRIPT], {
    env: { ...process.env, ...env, WORKER_ID: workerId },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: WorkerLine[] = [];
  let pending = '';
  let errors = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const line of complete) if (line.trim() !== '') lines.push(JSON.parse(line) as WorkerLine);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    errors = (errors + chunk.toString()).slice(-8_000);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return { workerId, child, lines, stderr: () => errors, exited };
}

/** SIGKILLs every worker still running and waits for them to exit. */
export async function killAllWorkers(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** The latest stats line a worker printed. */
export function latestStats(worker: WorkerProcess): { leasesHeld: string[]; shardsRunning: string[] } | undefined {
  const line = worker.lines.findLast((l) => l.type === 'stats');
  return line as unknown as { leasesHeld: string[]; shardsRunning: string[] } | undefined;
}
