// The consumer worker processes of the demo: fork, collect their IPC reports into the ledger,
// track which leases each holds, SIGKILL one, SIGTERM all.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Ledger } from './ledger.js';
import type { WorkerConfig, WorkerMessage } from './protocol.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

export interface FleetWorker {
  readonly workerId: string;
  readonly child: ChildProcess;
  readonly leases: Set<string>;
  readonly exited: Promise<void>;
  started: boolean;
}

export class Fleet {
  readonly workers: FleetWorker[] = [];
  /** Errors the workers reported, by source (retried internally; counted, not printed). */
  readonly errors = new Map<string, number>();
  /** Records the workers skipped because this run did not write them. */
  foreign = 0;

  constructor(readonly ledger: Ledger) {}

  start(config: WorkerConfig): FleetWorker {
    const child = fork(WORKER, [], {
      env: { ...process.env, DEMO_WORKER: JSON.stringify(config) },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const worker: FleetWorker = { workerId: config.workerId, child, leases: new Set(), exited, started: false };
    child.on('message', (message: WorkerMessage) => this.receive(worker, message));
    this.workers.push(worker);
    return worker;
  }

  private receive(worker: FleetWorker, message: WorkerMessage): void {
    switch (message.type) {
      case 'started':
        worker.started = true;
        return;
      case 'batch':
        this.foreign += message.foreign;
        return this.ledger.deliver(message.workerId, message.shardId, message.session, message.at, message.records);
      case 'lease':
        if (message.event === 'taken') worker.leases.add(message.shardId);
        else worker.leases.delete(message.shardId);
        return;
      case 'error':
        this.errors.set(message.source, (this.errors.get(message.source) ?? 0) + 1);
        return;
      case 'stopped':
        return;
    }
  }

  alive(): FleetWorker[] {
    return this.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  }

  /** SIGKILLs `worker` and resolves with the leases it held at that moment and the time. */
  async kill(worker: FleetWorker): Promise<{ readonly at: number; readonly leases: readonly string[] }> {
    const leases = [...worker.leases];
    const at = Date.now();
    worker.child.kill('SIGKILL');
    await worker.exited;
    worker.leases.clear();
    return { at, leases };
  }

  /** SIGTERM (graceful stop) to every live worker; SIGKILL after `graceMs`. */
  async stopAll(graceMs = 15_000): Promise<void> {
    await Promise.all(
      this.alive().map(async (worker) => {
        worker.child.kill('SIGTERM');
        const timer = setTimeout(() => worker.child.kill('SIGKILL'), graceMs);
        await worker.exited;
        clearTimeout(timer);
      }),
    );
  }

  killAllNow(): void {
    for (const worker of this.alive()) worker.child.kill('SIGKILL');
  }
}
