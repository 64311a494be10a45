// Command-line options of the demo. Local mode (default) starts the emulators; AWS mode is
// chosen by a region and a stream (flags, or AWS_REGION + KINESIS_STREAM).
import { parseArgs } from 'node:util';

export interface DemoOptions {
  /** 'local': embedded emulators; 'aws': the default SDK clients against a real stream. */
  readonly mode: 'local' | 'aws';
  /** Seconds of producing. */
  readonly durationSeconds: number;
  /** User records per second the producer is offered. */
  readonly rate: number;
  /** Consumer worker processes. */
  readonly workers: number;
  /** Shards of the stream the demo creates (local mode). */
  readonly shards: number;
  /** Distinct partition keys; each carries its own sequence numbers. */
  readonly keys: number;
  readonly region: string | undefined;
  readonly streamName: string | undefined;
  /** Consumer application name = lease table name. */
  readonly applicationName: string;
  /** Split a shard part-way (default on locally, off against AWS). */
  readonly split: boolean;
  /** SIGKILL a worker part-way (default on locally, off against AWS). */
  readonly kill: boolean;
  /** Seconds to wait after producing for every acknowledged record to be consumed. */
  readonly drainSeconds: number;
}

const HELP = `Usage: npm run demo -- [options]
  --duration <s>     seconds of producing (default 60)
  --rate <n>         user records per second (default 400)
  --workers <n>      consumer worker processes, 1-5 (default 3)
  --shards <n>       shards of the created stream, local mode (default 4)
  --keys <n>         partition keys (default 64)
  --drain <s>        deadline for consuming everything after producing stops (default 60)
  --region <r>       run against AWS in this region (or AWS_REGION with KINESIS_STREAM)
  --stream <name>    existing stream to use against AWS (or KINESIS_STREAM)
  --app <name>       consumer application name = DynamoDB lease table (default kinesis-kit-demo)
  --split / --no-split   split a shard part-way (default: on locally, off against AWS)
  --kill / --no-kill     SIGKILL one worker part-way (default: on locally, off against AWS)
Against AWS this writes to your stream and creates a PAY_PER_REQUEST DynamoDB table: it costs money.`;

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): DemoOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string' },
      rate: { type: 'string' },
      workers: { type: 'string' },
      shards: { type: 'string' },
      keys: { type: 'string' },
      drain: { type: 'string' },
      region: { type: 'string' },
      stream: { type: 'string' },
      app: { type: 'string' },
      split: { type: 'boolean' },
      'no-split': { type: 'boolean' },
      kill: { type: 'boolean' },
      'no-kill': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) return 'help';
  const region = values.region ?? (values.stream !== undefined || env.KINESIS_STREAM !== undefined ? env.AWS_REGION : undefined);
  const streamName = values.stream ?? env.KINESIS_STREAM;
  const aws = region !== undefined || streamName !== undefined;
  if (aws && (region === undefined || streamName === undefined)) {
    throw new Error('against AWS both a region (--region or AWS_REGION) and a stream (--stream or KINESIS_STREAM) are needed');
  }
  const flag = (on: boolean | undefined, off: boolean | undefined): boolean => (off === true ? false : (on ?? !aws));
  return {
    mode: aws ? 'aws' : 'local',
    durationSeconds: positive('duration', values.duration, 60),
    rate: positive('rate', values.rate, 400),
    workers: Math.min(5, positive('workers', values.workers, 3)),
    shards: positive('shards', values.shards, 4),
    keys: positive('keys', values.keys, 64),
    drainSeconds: positive('drain', values.drain, 60),
    region,
    streamName,
    applicationName: values.app ?? 'kinesis-kit-demo',
    split: flag(values.split, values['no-split']),
    kill: flag(values.kill, values['no-kill']),
  };
}

export function usage(): string {
  return HELP;
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${text}`);
  return value;
}
