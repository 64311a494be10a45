import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PRELOAD = fileURLToPath(new URL('../loopback-preload.cjs', import.meta.url));
const LISTENING = /^LOOPBACK_LISTENING (\d+)$/;

export interface LoopbackChild {
  readonly child: ChildProcess;
  /** Ports the child bound, in the order it bound them. */
  readonly ports: number[];
  stop(): Promise<void>;
}

/**
 * Starts a Node program with the loopback preload and resolves once it has bound `portCount`
 * ports. Output other than the port lines is kept (bounded) for the error message if it dies.
 * kinesis-local binds in about a second on an idle machine but took over 30 s here under a load
 * average of 23 on 2 cores; the deadline only catches a start that hangs.
 */
export async function startLoopbackNode(
  script: string,
  env: Record<string, string>,
  portCount: number,
  timeoutMs = 120_000,
): Promise<LoopbackChild> {
  const child = spawn(process.execPath, ['--require', PRELOAD, script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ports: number[] = [];
  let output = '';
  const remember = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on('data', remember);

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${script} did not listen within ${timeoutMs} ms\n${output}`)), timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    let pending = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const match = LISTENING.exec(line.trim());
        if (match?.[1] === undefined) {
          remember(Buffer.from(`${line}\n`));
          continue;
        }
        ports.push(Number(match[1]));
        if (ports.length === portCount) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.once('exit', (code, signal) => fail(new Error(`${script} exited (${code ?? signal}) before listening\n${output}`)));
  });
  return { child, ports, stop: () => stopChild(child) };
}

/** SIGTERM, then SIGKILL after `graceMs` (keep-alive sockets can hold an emulator open). */
export async function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
