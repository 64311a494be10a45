import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { checks, ConfigurationError, option, resolveOptions, type Clock, type Logger, type Metrics, type OptionValues } from '@kinesis-kit/core';
import type { LeaseAssignmentPolicy } from './leases/assignment.js';
import type { ShardRecordProcessorFactory } from './processor.js';
import type { StreamRef } from './retrieval/kinesis-port.js';
import type { Retrieval } from './retrieval/retrieval.js';
import type { StreamSpec } from './streams/consumed-stream.js';
import { isInitialPosition, type InitialPosition } from './shards/initial-position.js';
import { SHARD_CONSUMER_OPTION_SPECS } from './processing/shard-consumer-options.js';
import { FAN_OUT_OPTION_SPECS } from './retrieval/fanout-options.js';
import { POLLING_OPTION_SPECS } from './retrieval/polling-options.js';
import { KINESIS_REQUEST_OPTION_SPECS } from './retrieval/request-options.js';

const UNLIMITED = Number.MAX_SAFE_INTEGER;
const HOUR = 3_600_000;

/**
 * Every tunable of a KinesisConsumer, declared once: default, one-line meaning, check, and the
 * Java KCL setting it corresponds to. docs/consumer.md renders this table (a test keeps it equal).
 */
export const CONSUMER_OPTION_SPECS = {
  coordination: option(
    'fleet' as 'fleet' | 'kcl2',
    "How workers share leases. 'fleet': a leader assigns leases and workers heartbeat into one small fleet item of the lease table (reads grow with leases, not workers; no per-lease renewals; Java KCL 3.x table format). 'kcl2': the Java KCL 2.x protocol (every worker scans the table every leaseTakingIntervalMillis, renews each lease, takes and steals): use it only to share a table with running Java KCL 2.x workers.",
    checks.oneOf('fleet', 'kcl2'),
  ),
  heartbeatIntervalMillis: option(
    1_000,
    "Fleet coordination: time between a worker's heartbeats into the fleet item. A worker learns of leases assigned to it at its next heartbeat.",
    checks.integer(50, 60_000),
  ),
  leaderIntervalMillis: option(
    250,
    "Fleet coordination: time between the leader's (and its deputy's) writes of the fleet item: how soon a dead worker, a dead leader or a joining worker is seen.",
    checks.integer(50, 60_000),
  ),
  tableScanIntervalMillis: option(
    20_000,
    'Fleet coordination: how often the leader reads the whole lease table (checkpoints, throughput, leases of workers outside the fleet). The Java KCL 3.x leader scans every 2 x failoverTimeMillis.',
    checks.integer(1_000, 24 * HOUR),
  ),
  balanceThroughput: option(true, 'Fleet coordination: the leader balances bytes/s per worker, not only lease counts (a worker with a hot shard holds fewer leases).', checks.boolean()),
  failoverTimeMillis: option(
    10_000,
    "Fleet: a worker whose heartbeat has not changed for this long, on the leader's clock, is dead and its leases are placed on others (worst case about failoverTimeMillis + 2 s). kcl2, and leases of workers outside the fleet: a lease whose counter has not moved for this long is expired and may be taken (kcl2 renews every failoverTimeMillis / 3 - epsilonMillis, 3,308 ms by default).",
    checks.integer(300, HOUR),
    { javaName: 'failoverTimeMillis' },
  ),
  epsilonMillis: option(25, 'Safety margin subtracted from the renewal interval.', checks.integer(0, 60_000), { javaName: 'epsilonMillis' }),
  leaseTakingIntervalMillis: option(
    2_000,
    'Time between taking rounds: one consistent scan of the lease table, then taking, stealing, parent checks, shard sync and cleanup all use it. Bounds how soon released leases are picked up. The KCL derives it as (failoverTimeMillis + epsilonMillis) x 2 = 20,050 ms.',
    checks.integer(100, HOUR),
  ),
  maxLeasesForWorker: option(UNLIMITED, 'This worker never holds more leases than this.', checks.integer(1), {
    javaName: 'maxLeasesForWorker',
    shownDefault: 'unlimited',
  }),
  maxLeasesToStealAtOneTime: option(
    UNLIMITED,
    'Leases stolen from workers above their share per taking round, at most. By default as many as bring this worker to its share in one round (the KCL default is 1).',
    checks.integer(0),
    { javaName: 'maxLeasesToStealAtOneTime', shownDefault: 'unlimited' },
  ),
  shardSyncIntervalMillis: option(
    60_000,
    "How often the leader worker lists the stream's shards to create missing leases (children are normally created at their parent's end).",
    checks.integer(1_000, 24 * HOUR),
    { javaName: 'shardSyncIntervalMillis' },
  ),
  leaseCleanupIntervalMillis: option(
    60_000,
    'How often the leader worker deletes leases of finished shards whose children have started and whose parents are gone.',
    checks.integer(1_000, 24 * HOUR),
    { javaName: 'completedLeaseCleanupIntervalMillis' },
  ),
  gracefulShutdownTimeoutMillis: option(
    30_000,
    'How long stop() lets processors finish their batch and shutdownRequested (and checkpoint) before it releases their leases anyway.',
    checks.integer(0, HOUR),
    { javaName: 'gracefulLeaseHandoffTimeoutMillis' },
  ),
  // DynamoDB request timeouts and lease safety
  dynamoDBRequestTimeoutMillis: option(
    1_000,
    'Deadline of every attempt of every lease table request (Scan, GetItem, PutItem, UpdateItem, DeleteItem; CreateTable and DescribeTable, at start only, get 10 s); a request that has not answered is abandoned and retried. A renewal is useful only if it lands well within failoverTimeMillis, so this leaves room for several attempts per renewal (DynamoDB answers in milliseconds; AWS suggests about 1 s per attempt for latency-sensitive use). The Java KCL waits 1 minute.',
    checks.integer(50, 60_000),
    { javaName: 'requestTimeout' },
  ),
  leaseLossMarginMillis: option(
    1_000,
    'A worker that could not heartbeat (fleet) or renew a lease (kcl2) gives its leases up, and their shard consumers stop (leaseLost, no more checkpoints), at its last successful heartbeat or renewal + failoverTimeMillis - this margin on its own clock: before any other worker can judge it dead.',
    checks.integer(0, HOUR),
  ),
  ...POLLING_OPTION_SPECS,
  ...FAN_OUT_OPTION_SPECS,
  // Kinesis request timeouts and stall detection
  ...KINESIS_REQUEST_OPTION_SPECS,
  ...SHARD_CONSUMER_OPTION_SPECS,
} as const;

export type ConsumerSettings = OptionValues<typeof CONSUMER_OPTION_SPECS>;

/** The tunables as a KinesisConsumer accepts them: every one optional. */
export type ConsumerTunables = Partial<{ -readonly [K in keyof ConsumerSettings]: ConsumerSettings[K] }>;

/** The renewal interval must leave room for at least two renewals before expiry. */
const renewalFitsFailover = (values: ConsumerSettings): string | undefined =>
  values.failoverTimeMillis / 3 - values.epsilonMillis >= 50
    ? undefined
    : `failoverTimeMillis / 3 - epsilonMillis must be at least 50 ms (got ${values.failoverTimeMillis} / 3 - ${values.epsilonMillis})`;

/** Two renewals must fit between a lease's last renewal and the moment this worker gives it up. */
const marginLeavesRenewals = (values: ConsumerSettings): string | undefined => {
  const renewal = values.failoverTimeMillis / 3 - values.epsilonMillis;
  return values.failoverTimeMillis - values.leaseLossMarginMillis >= 2 * renewal
    ? undefined
    : `failoverTimeMillis - leaseLossMarginMillis must leave room for two renewals (2 x (failoverTimeMillis / 3 - epsilonMillis)); got ${values.failoverTimeMillis} - ${values.leaseLossMarginMillis}`;
};

/** Fleet: two heartbeats must fit in a worker's life (failoverTimeMillis - leaseLossMarginMillis); the leader writes at least as often as a worker. */
const heartbeatsFitLife = (values: ConsumerSettings): string | undefined => {
  if (values.coordination !== 'fleet') return undefined;
  if (2 * values.heartbeatIntervalMillis > values.failoverTimeMillis - values.leaseLossMarginMillis) {
    return `heartbeatIntervalMillis must be at most (failoverTimeMillis - leaseLossMarginMillis) / 2 (got ${values.heartbeatIntervalMillis})`;
  }
  return values.leaderIntervalMillis <= values.heartbeatIntervalMillis ? undefined : `leaderIntervalMillis must be at most heartbeatIntervalMillis (got ${values.leaderIntervalMillis})`;
};

/** At least two request attempts must fit in the time a worker has to renew a lease. */
const timeoutFitsRenewal = (values: ConsumerSettings): string | undefined =>
  2 * values.dynamoDBRequestTimeoutMillis <= values.failoverTimeMillis - values.leaseLossMarginMillis
    ? undefined
    : `dynamoDBRequestTimeoutMillis must be at most (failoverTimeMillis - leaseLossMarginMillis) / 2 (got ${values.dynamoDBRequestTimeoutMillis})`;

/** Validates every tunable (all problems reported together); `otherKeys` are the non-tunable options. */
export function resolveConsumerSettings(input: Readonly<Record<string, unknown>>, otherKeys: readonly string[]): ConsumerSettings {
  return resolveOptions('KinesisConsumer', CONSUMER_OPTION_SPECS, input, {
    otherKeys,
    crossChecks: [renewalFitsFailover, marginLeavesRenewals, timeoutFitsRenewal, heartbeatsFitLife],
  });
}

/**
 * Which stream(s) to consume: one stream by name or ARN, or several (`streams`: multi-stream
 * mode, KCL multi-stream lease keys; streams may be added and removed while running).
 */
export type StreamSelector =
  | { readonly streamName: string; readonly streamARN?: never; readonly streams?: never }
  | { readonly streamARN: string; readonly streamName?: never; readonly streams?: never }
  | { readonly streams: readonly StreamSpec[]; readonly streamName?: never; readonly streamARN?: never };

export type KinesisConsumerOptions = StreamSelector &
  ConsumerTunables & {
    /** Names the lease table (unless tableName is given) and groups the workers that share a stream's shards. */
    readonly applicationName: string;
    /** Creates the processor of each shard this worker consumes. */
    readonly processor: ShardRecordProcessorFactory;
    /** Where shards without a checkpoint start (in multi-stream mode: of every stream without its own initialPosition). */
    readonly initialPosition: InitialPosition;
    /** Unique per running worker; default `<hostname>:<random UUID>`. */
    readonly workerId?: string;
    /** The lease table; default applicationName (as the KCL). */
    readonly tableName?: string;
    /** Default: a client from the environment's region and credentials, with maxAttempts 1 (retries are ours). */
    readonly kinesisClient?: KinesisClient;
    readonly dynamoDBClient?: DynamoDBClient;
    /**
     * How records reach shard consumers: `'polling'` (GetRecords, the default), `'fanout'`
     * (enhanced fan-out: a registered stream consumer and SubscribeToShard per shard), or a
     * Retrieval of your own.
     */
    readonly retrieval?: 'polling' | 'fanout' | Retrieval;
    /** Which leases to take and steal; default EvenShareAssignment. */
    readonly assignmentPolicy?: LeaseAssignmentPolicy;
    readonly clock?: Clock;
    readonly metrics?: Metrics;
    readonly logger?: Logger;
  };

export const STRUCTURAL_KEYS = [
  'streamName',
  'streamARN',
  'streams',
  'applicationName',
  'processor',
  'initialPosition',
  'workerId',
  'tableName',
  'kinesisClient',
  'dynamoDBClient',
  'retrieval',
  'assignmentPolicy',
  'clock',
  'metrics',
  'logger',
] as const;

/** One stream (`streamName` from the ARN when given one, for ShardInfo), or several. */
export type ResolvedStreams =
  | { readonly kind: 'single'; readonly streamRef: StreamRef; readonly streamName: string }
  | { readonly kind: 'multi'; readonly streams: readonly StreamSpec[] };

export interface ResolvedConsumerOptions {
  readonly settings: ConsumerSettings;
  readonly streams: ResolvedStreams;
}

/** The stream name in a Kinesis stream ARN. */
export function streamNameOfARN(streamARN: string): string {
  return streamARN.slice(streamARN.indexOf(':stream/') + ':stream/'.length);
}

/** Validates every option of a KinesisConsumer, structural and tunable; all problems in one ConfigurationError. */
export function resolveConsumerOptions(options: KinesisConsumerOptions): ResolvedConsumerOptions {
  const problems = structuralProblems(options);
  let settings: ConsumerSettings | undefined;
  try {
    settings = resolveConsumerSettings(tunablesOf(options), STRUCTURAL_KEYS);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    problems.push(error.message.replace(/^invalid KinesisConsumer options: /, ''));
  }
  if (settings === undefined || problems.length > 0) throw new ConfigurationError(`invalid KinesisConsumer options: ${problems.join('; ')}`);
  const { streamARN, streamName, streams } = options as { streamName?: string; streamARN?: string; streams?: readonly StreamSpec[] };
  if (streams !== undefined) return { settings, streams: { kind: 'multi', streams } };
  if (streamARN !== undefined) return { settings, streams: { kind: 'single', streamRef: { streamARN }, streamName: streamNameOfARN(streamARN) } };
  return { settings, streams: { kind: 'single', streamRef: { streamName: streamName! }, streamName: streamName! } };
}

function tunablesOf(options: KinesisConsumerOptions): Record<string, unknown> {
  const tunables: Record<string, unknown> = { ...options };
  for (const key of STRUCTURAL_KEYS) delete tunables[key];
  return tunables;
}

/** What is wrong with the options that are not tunables (required, shape). */
function structuralProblems(options: KinesisConsumerOptions): string[] {
  const { streamName, streamARN, streams, retrieval } = options as { streamName?: unknown; streamARN?: unknown; streams?: unknown; retrieval?: unknown };
  const selectors = [streamName, streamARN, streams].filter((v) => v !== undefined).length;
  const problems: string[] = [];
  if (streams === undefined && selectors !== 1) problems.push('exactly one of streamName and streamARN is required');
  if (streams !== undefined && selectors !== 1) problems.push('streams (multi-stream) excludes streamName and streamARN: give either one stream or a list');
  if (retrieval !== undefined && retrieval !== 'polling' && retrieval !== 'fanout' && (typeof retrieval !== 'object' || retrieval === null)) {
    problems.push("retrieval must be 'polling', 'fanout' or a Retrieval");
  }
  if (streams !== undefined && typeof retrieval === 'object') {
    problems.push("with streams, retrieval must be 'polling' or 'fanout' (a custom Retrieval reads a single stream)");
  }
  problems.push(...streamRefProblems(streamName, streamARN, ''));
  if (streams !== undefined) problems.push(...streamsProblems(streams));
  if (typeof options.applicationName !== 'string' || options.applicationName === '') problems.push('applicationName must be a non-empty string');
  if (typeof options.processor !== 'function') problems.push('processor must be a function creating a ShardRecordProcessor per shard');
  if (!isInitialPosition(options.initialPosition)) problems.push("initialPosition must be 'TRIM_HORIZON', 'LATEST' or { timestamp: Date }");
  if (options.workerId !== undefined && (typeof options.workerId !== 'string' || options.workerId === '')) problems.push('workerId must be a non-empty string');
  if (options.tableName !== undefined && (typeof options.tableName !== 'string' || !/^[a-zA-Z0-9_.-]{3,255}$/.test(options.tableName))) {
    problems.push('tableName must be a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -)');
  }
  return problems;
}

function streamRefProblems(streamName: unknown, streamARN: unknown, where: string): string[] {
  const problems: string[] = [];
  if (streamName !== undefined && (typeof streamName !== 'string' || streamName === '')) problems.push(`${where}streamName must be a non-empty string`);
  if (streamARN !== undefined && (typeof streamARN !== 'string' || !/^arn:[^:]+:kinesis:[^:]*:\d*:stream\/.+/.test(streamARN))) {
    problems.push(`${where}streamARN must be a Kinesis stream ARN (arn:aws:kinesis:<region>:<account>:stream/<name>)`);
  }
  return problems;
}

/** What is wrong with one stream of a multi-stream consumer (given in `streams` or to addStream()); empty when nothing. */
export function streamSpecProblems(spec: unknown, where = ''): string[] {
  if (typeof spec !== 'object' || spec === null) return [`${where}must be { streamName | streamARN, initialPosition? }`];
  const { streamName, streamARN, initialPosition } = spec as { streamName?: unknown; streamARN?: unknown; initialPosition?: unknown };
  const problems = streamRefProblems(streamName, streamARN, where);
  if ((streamName === undefined) === (streamARN === undefined)) problems.push(`${where}exactly one of streamName and streamARN is required`);
  if (initialPosition !== undefined && !isInitialPosition(initialPosition)) {
    problems.push(`${where}initialPosition must be 'TRIM_HORIZON', 'LATEST' or { timestamp: Date }`);
  }
  return problems;
}

function streamsProblems(streams: unknown): string[] {
  if (!Array.isArray(streams)) return ['streams must be an array of { streamName | streamARN, initialPosition? }'];
  const problems = streams.flatMap((spec: unknown, i) => streamSpecProblems(spec, `streams[${i}].`));
  const names = streams.map((spec: { streamName?: unknown; streamARN?: unknown } | null) => {
    const { streamName, streamARN } = spec ?? {};
    return typeof streamARN === 'string' ? streamNameOfARN(streamARN) : streamName;
  });
  const duplicates = [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
  if (duplicates.length > 0) problems.push(`streams names a stream more than once: ${duplicates.join(', ')}`);
  return problems;
}
