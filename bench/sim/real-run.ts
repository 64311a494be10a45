import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { systemClock } from '@kinesis-kit/core';
import { emptyStats, type OperationStats } from './sim-dynamodb.js';
import type { SimDesign, SimWorker } from './fleet.js';
import { statsDelta } from './fleet.js';
import { runScale } from './scenarios.js';
import { simKinesis, simRetrieval } from './sim-stream.js';

/**
 * The proof of the model: the same fleet run for real (real time, a real DynamoDB engine: dynalite
 * or DynamoDB Local) and in the simulation, counting DynamoDB requests per operation over the same
 * length of steady state. Real requests are counted by an SDK middleware, which also asks for
 * ConsumedCapacity (ReturnConsumedCapacity TOTAL) and adds up what the engine reports.
 */
export interface RealRunOptions {
  readonly design: SimDesign;
  /** A fresh DynamoDBClient per worker (maxAttempts 1), pointed at the engine. */
  readonly client: () => DynamoDBClient;
  readonly applicationName: string;
  readonly workers: number;
  readonly leases: number;
  readonly windowMs: number;
  /** Give up waiting for a fair fleet after this long (real time). */
  readonly fairWithinMs?: number;
}

const CAPACITY_OPERATIONS = new Set(['GetItemCommand', 'PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'ScanCommand', 'QueryCommand']);

/** Counts every request sent through `client` (and the capacity the engine reports) into `stats`. */
export function countRequests(client: DynamoDBClient, stats: Map<string, OperationStats>): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName);
      const op = command.replace(/Command$/, '');
      const s = stats.get(op) ?? emptyStats();
      stats.set(op, s);
      const input = args.input as Record<string, unknown>;
      if (CAPACITY_OPERATIONS.has(command)) input.ReturnConsumedCapacity = 'TOTAL';
      // Counted when answered, with its capacity: a request in flight at the end of a window counts in neither.
      try {
        const result = await next(args);
        const units = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity?.CapacityUnits ?? 0;
        if (command === 'GetItemCommand' || command === 'ScanCommand' || command === 'QueryCommand') s.readUnits += units;
        else s.writeUnits += units;
        return result;
      } catch (error) {
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException') s.failedConditions++;
        throw error;
      } finally {
        s.requests++;
      }
    },
    { step: 'initialize', name: 'scaleSimCounter' },
  );
}

export interface FleetCounts {
  /** Requests and capacity by operation over the steady-state window. */
  readonly byOperation: Map<string, OperationStats>;
  /** Time from the start until the fleet was fair. */
  readonly fairMs: number;
}

/** After the fleet is fair, the steady-state window starts this much later, in both runs. */
export const SETTLE_MS = 5_000;

/** Starts the fleet for real, waits until it is fair, then counts a steady-state window of `windowMs`. */
export async function realFleetCounts(options: RealRunOptions): Promise<FleetCounts> {
  const stats = new Map<string, OperationStats>();
  const workers: SimWorker[] = [];
  const retrieval = simRetrieval(systemClock, () => undefined, () => new AbortController().signal);
  for (let i = 0; i < options.workers; i++) {
    const client = options.client();
    countRequests(client, stats);
    workers.push(
      options.design.createWorker({
        workerId: `worker-${String(i).padStart(3, '0')}`,
        applicationName: options.applicationName,
        streamName: 'scale-sim',
        clock: systemClock,
        dynamoDBClient: client,
        kinesisClient: simKinesis(options.leases, systemClock).client,
        retrieval,
      }),
    );
  }
  const start = performance.now();
  try {
    await Promise.all(workers.map((w) => w.start()));
    const fair = () => {
      const counts = workers.map((w) => w.held().length);
      return counts.reduce((a, b) => a + b, 0) === options.leases && Math.max(...counts) - Math.min(...counts) <= 1;
    };
    while (!fair()) {
      if (performance.now() - start > (options.fairWithinMs ?? 120_000)) throw new Error(`the real fleet did not become fair in time: held ${workers.map((w) => w.held().length).join('/')}, requests ${JSON.stringify(Object.fromEntries([...stats].map(([op, s]) => [op, s.requests])))}`);
      await systemClock.sleep(50);
    }
    const fairMs = performance.now() - start;
    // Workers may still be finishing their first look for leases (the GSI catching up, moves read
    // back): the window starts once nothing but heartbeats and scans has been sent for SETTLE_MS.
    await quiet(stats, performance.now() + (options.fairWithinMs ?? 120_000));
    const before = snapshot(stats);
    await systemClock.sleep(options.windowMs);
    return { byOperation: statsDelta(snapshot(stats), before), fairMs };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

/** The same fleet in the simulation: cold start within a second, then the same steady-state window. */
export async function simFleetCounts(design: SimDesign, workers: number, leases: number, windowMs: number): Promise<FleetCounts> {
  const result = await runScale(design, { workers, leases, start: 'cold', windowMs, checkpointEveryMs: 0, events: [] }, 0);
  return { byOperation: result.idle.byOperation, fairMs: result.startup.fairMs ?? Number.NaN };
}

/** Steady-state requests: heartbeats (UpdateItem) and the leader's scans. */
const STEADY = new Set(['UpdateItem', 'Scan']);

/** Waits until no request other than the steady-state ones has been sent for SETTLE_MS (polled; throws at the deadline). */
async function quiet(stats: Map<string, OperationStats>, deadline: number): Promise<void> {
  const others = (): number => [...stats].reduce((sum, [op, s]) => (STEADY.has(op) ? sum : sum + s.requests), 0);
  let seen = others();
  let quietSince = performance.now();
  while (performance.now() - quietSince < SETTLE_MS) {
    if (performance.now() > deadline) throw new Error('the real fleet did not settle in time');
    await systemClock.sleep(100);
    const now = others();
    if (now !== seen) {
      seen = now;
      quietSince = performance.now();
    }
  }
}

function snapshot(stats: Map<string, OperationStats>): Map<string, OperationStats> {
  return new Map([...stats].map(([op, s]) => [op, { ...s }]));
}

export interface CountComparison {
  readonly operation: string;
  readonly real: number;
  readonly simulated: number;
  /** The difference allowed: one round of the timer that sends this operation (see compareCounts). */
  readonly tolerance: number;
  /** Capacity units per successful request (Scan: per page), real and simulated. */
  readonly realUnitsPerRequest: number;
  readonly simulatedUnitsPerRequest: number;
  readonly agrees: boolean;
}

/**
 * Request counts of a real and a simulated window agree when they differ by at most one round of
 * the timer that sends them: a window of the same length holds the same number of timer ticks
 * give or take the one at each end, whose phase differs between runs. With fleet coordination, Scan
 * (the leader's, every tableScanIntervalMillis) may differ by 1 plus 5 %, UpdateItem (heartbeats:
 * one per worker per second, four per second from the leader and from its deputy) by one second's
 * worth, `workers` + 6, plus 5 %; any other operation must match to within 5 % (at least 1).
 * Capacity per successful request must match within 1 unit (the engines size numbers slightly
 * differently; they do not report what a failed condition costs, so that part is left out),
 * except Scan units when `scanUnits` is false (dynalite under-reports them).
 */
export function compareCounts(real: Map<string, OperationStats>, simulated: Map<string, OperationStats>, size: { workers: number; leases: number; scanUnits: boolean }): CountComparison[] {
  const operations = new Set([...real.keys(), ...simulated.keys()]);
  const rows: CountComparison[] = [];
  for (const operation of operations) {
    const r = real.get(operation) ?? emptyStats();
    const s = simulated.get(operation) ?? emptyStats();
    if (r.requests === 0 && s.requests === 0) continue;
    const round = operation === 'Scan' ? 1 : operation === 'UpdateItem' ? size.workers + 6 : 0;
    const tolerance = Math.max(1, Math.ceil(round + 0.05 * Math.max(r.requests, s.requests)));
    const realUnits = unitsPerSuccess(r, 0);
    const simulatedUnits = unitsPerSuccess(s, s.failedWriteUnits);
    rows.push({
      operation,
      real: r.requests,
      simulated: s.requests,
      tolerance,
      realUnitsPerRequest: realUnits,
      simulatedUnitsPerRequest: simulatedUnits,
      agrees: Math.abs(r.requests - s.requests) <= tolerance && ((operation === 'Scan' && !size.scanUnits) || Math.abs(realUnits - simulatedUnits) <= 1),
    });
  }
  return rows.sort((a, b) => a.operation.localeCompare(b.operation));
}

function unitsPerSuccess(stats: OperationStats, failedUnits: number): number {
  const successes = stats.requests - stats.failedConditions;
  return successes <= 0 ? 0 : (stats.readUnits + stats.writeUnits - failedUnits) / successes;
}
