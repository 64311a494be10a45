// `npm run demo`: the whole system in one command. Starts the embedded emulators (or uses a real
// stream), produces at a steady rate with per-key sequence numbers, runs consumer workers in
// separate processes, splits a shard and SIGKILLs a worker part-way, drains, and prints what was
// produced, consumed, duplicated (and why) and reordered. Exit code 1 if anything was lost or
// reordered. Payloads and credentials are never printed.
import { randomInt } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { CreateStreamCommand, DescribeStreamSummaryCommand, ListShardsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisProducer } from '@kinesis-kit/producer';
import { startDynalite } from '../test/harness/emulators/dynalite.js';
import { startKinesisLocal, type RunningEmulator } from '../test/harness/emulators/kinesis-local.js';
import { makeClients, type LocalEndpoints } from './clients.js';
import { Fleet } from './fleet.js';
import { Ledger } from './ledger.js';
import { SteadyLoad } from './load.js';
import { parseOptions, usage, type DemoOptions } from './options.js';
import { Progress, summaryTable, type Recovery } from './summary.js';

const out = process.stdout;

async function main(): Promise<number> {
  // The SDK's notice about Node 20 support is not the demo's business (workers inherit this).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const parsed = parseOptions(process.argv.slice(2), process.env);
  if (parsed === 'help') {
    out.write(`${usage()}\n`);
    return 0;
  }
  const options = parsed;
  const emulators: RunningEmulator[] = [];
  let local: LocalEndpoints | undefined;
  if (options.mode === 'local') {
    out.write('starting kinesis-local and dynalite on loopback ...\n');
    const [kinesis, dynamo] = await Promise.all([startKinesisLocal(), startDynalite()]);
    emulators.push(kinesis, dynamo);
    local = { kinesisEndpoint: kinesis.endpoint, dynamoEndpoint: dynamo.endpoint, accountId: String(randomInt(1e11, 1e12 - 1)) };
  } else {
    out.write(`against AWS: stream ${options.streamName} in ${options.region}, lease table ${options.applicationName} (this costs money)\n`);
  }
  const fleet = new Fleet(new Ledger());
  const cleanUp = async (): Promise<void> => {
    fleet.killAllNow();
    await Promise.allSettled(emulators.map((e) => e.stop()));
  };
  // Ctrl-C, a kill, or a closed pipe: stop the workers and emulators before going.
  const interrupted = (code: number) => () => void cleanUp().finally(() => process.exit(code));
  process.once('SIGINT', interrupted(130));
  process.once('SIGTERM', interrupted(143));
  out.on('error', interrupted(2));
  try {
    return await run(options, local, fleet);
  } finally {
    await cleanUp();
  }
}

interface Disruptions {
  split: string | undefined;
  killed: { worker: string; at: number; leases: readonly string[] } | undefined;
}

async function run(options: DemoOptions, local: LocalEndpoints | undefined, fleet: Fleet): Promise<number> {
  const { ledger } = fleet;
  const { kinesis } = makeClients(local, options.region);
  const runId = `${Date.now().toString(36)}-${randomInt(1e9).toString(36)}`;
  const streamName = options.streamName ?? `demo-${Date.now().toString(36)}`;
  if (local !== undefined) {
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: options.shards }));
  }
  await waitActive(kinesis, streamName);
  out.write(`stream ${streamName} ACTIVE; starting ${options.workers} consumer worker processes\n`);
  startWorkers(options, local, fleet, streamName, runId);

  const producer = new KinesisProducer({ streamName, kinesisClient: kinesis, ordering: 'per-shard' });
  const load = new SteadyLoad(producer, ledger, options.keys, runId);
  const started = Date.now();
  const progress = new Progress(out);
  const status = (phase: string): string => {
    const elapsed = ((Date.now() - started) / 1_000).toFixed(0);
    return `[${elapsed.padStart(3)} s] ${phase}: produced ${load.produced}, acknowledged ${ledger.acknowledgedCount}, consumed ${ledger.consumedCount}, workers ${fleet.alive().length}`;
  };
  const disruptions = await produce(options, load, { kinesis, streamName, fleet, progress, status });
  const produceSeconds = (Date.now() - started) / 1_000;
  await load.close();
  const drained = await drain(ledger, options.drainSeconds * 1_000, () => progress.update(status('draining')));
  progress.end();
  out.write('stopping workers (graceful: shutdownRequested, checkpoint, release leases) ...\n');
  await fleet.stopAll();
  kinesis.destroy();

  const { killed, split } = disruptions;
  const report = ledger.report(killed?.worker);
  const consumeSeconds = ((ledger.lastFirstDeliveryAt ?? 0) - (ledger.firstDeliveryAt ?? 0)) / 1_000;
  out.write(`\nsummary (stream ${streamName}, ${options.workers} workers, ${options.rate} records/s offered for ${options.durationSeconds} s)\n`);
  const recovery = killed && recoveryOf(ledger, killed);
  out.write(`${summaryTable({ report, produceSeconds, consumeSeconds, recovery, split, workerErrors: fleet.errors, foreign: fleet.foreign, drained })}\n`);
  const ok = report.lost === 0 && report.orderViolations === 0 && report.duplicates.unexplained === 0;
  out.write(ok ? 'OK: nothing lost, nothing reordered\n' : 'FAILED: records were lost, reordered or duplicated without explanation\n');
  return ok ? 0 : 1;
}

function startWorkers(options: DemoOptions, local: LocalEndpoints | undefined, fleet: Fleet, streamName: string, runId: string): void {
  // Locally a fresh lease table per run and a 5 s failover; against AWS the table named by --app
  // and the default 10 s.
  const applicationName = local === undefined ? options.applicationName : `${options.applicationName}-${Date.now().toString(36)}`;
  const failoverTimeMillis = local === undefined ? 10_000 : 5_000;
  for (let i = 1; i <= options.workers; i += 1) {
    fleet.start({
      workerId: `worker-${i}`,
      runId,
      streamName,
      applicationName,
      failoverTimeMillis,
      ...(local === undefined ? {} : { local }),
      ...(options.region === undefined ? {} : { region: options.region }),
    });
  }
}

interface ProduceContext {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly fleet: Fleet;
  readonly progress: Progress;
  readonly status: (phase: string) => string;
}

/** Produces at a steady rate for the duration; splits a shard at 1/3 and kills a worker at 1/2 if asked. */
async function produce(options: DemoOptions, load: SteadyLoad, context: ProduceContext): Promise<Disruptions> {
  const { kinesis, streamName, fleet, progress, status } = context;
  const disruptions: Disruptions = { split: undefined, killed: undefined };
  const started = Date.now();
  const durationMs = options.durationSeconds * 1_000;
  let splitDue = options.split;
  let killDue = options.kill && options.workers > 1;
  // Every 100 ms, whatever brings the count to rate x elapsed.
  while (Date.now() - started < durationMs) {
    const elapsed = Date.now() - started;
    load.topUpTo(Math.floor((options.rate * elapsed) / 1_000));
    if (splitDue && elapsed >= durationMs / 3) {
      splitDue = false;
      disruptions.split = await splitOneShard(kinesis, streamName);
      progress.note(`${status('producing')}  -- split ${disruptions.split}`);
    }
    if (killDue && elapsed >= durationMs / 2) {
      killDue = false;
      const victim = [...fleet.alive()].sort((a, b) => b.leases.size - a.leases.size)[0]!;
      const { at, leases } = await fleet.kill(victim);
      disruptions.killed = { worker: victim.workerId, at, leases };
      progress.note(`${status('producing')}  -- SIGKILL ${victim.workerId} (held ${leases.join(', ') || 'no shards'})`);
    }
    progress.update(status('producing'));
    await delay(100);
  }
  return disruptions;
}

/** Waits until every acknowledged record was consumed or the deadline passes; true if drained. */
async function drain(ledger: Ledger, timeoutMs: number, tick: () => void): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (ledger.missing().length > 0 && Date.now() < deadline) {
    tick();
    await delay(250);
  }
  tick();
  return ledger.missing().length === 0;
}

async function waitActive(kinesis: KinesisClient, streamName: string): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (s?.StreamStatus === 'ACTIVE') return;
    await delay(500);
  }
  throw new Error(`stream ${streamName} did not become ACTIVE`);
}

/** Splits the first open shard at the middle of its hash key range; returns a description. */
async function splitOneShard(kinesis: KinesisClient, streamName: string): Promise<string> {
  const { Shards: shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName, ShardFilter: { Type: 'AT_LATEST' } }));
  const shard = shards[0];
  if (shard?.ShardId === undefined || shard.HashKeyRange === undefined) throw new Error('no open shard to split');
  const start = BigInt(shard.HashKeyRange.StartingHashKey ?? '0');
  const end = BigInt(shard.HashKeyRange.EndingHashKey ?? '0');
  await kinesis.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: shard.ShardId, NewStartingHashKey: String((start + end) / 2n) }));
  return `${shard.ShardId} into two children`;
}

function recoveryOf(ledger: Ledger, killed: { worker: string; at: number; leases: readonly string[] }): Recovery {
  let killToFirstMs: number | undefined;
  let gapMs: number | undefined;
  for (const shardId of killed.leases) {
    const batches = ledger.batchesOf(shardId);
    const lastBefore = batches.findLast((b) => b.workerId === killed.worker && b.at <= killed.at);
    const firstAfter = batches.find((b) => b.workerId !== killed.worker && b.at > killed.at);
    if (firstAfter === undefined) continue;
    killToFirstMs = Math.max(killToFirstMs ?? 0, firstAfter.at - killed.at);
    gapMs = Math.max(gapMs ?? 0, firstAfter.at - (lastBefore?.at ?? killed.at));
  }
  return { worker: killed.worker, shards: killed.leases.length, killToFirstMs, gapMs };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
