// `npm run cli:demo`: starts kinesis-local and dynalite on loopback, runs the kinesis-kit CLI as a
// user types it (child processes) against a stream that a consumer is reading, and prints the
// transcript: each command, its output and its exit code. docs/cli.md quotes a run of it.
// Endpoints are printed once and shown as $KINESIS / $DYNAMODB in the commands.
import { randomInt } from 'node:crypto';
import { SplitShardCommand } from '@aws-sdk/client-kinesis';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import { DynamoDBLeaseStore, KinesisConsumer } from '@kinesis-kit/consumer';
import { startDynalite } from '../../../../test/harness/emulators/dynalite.js';
import { startKinesisLocal } from '../../../../test/harness/emulators/kinesis-local.js';
import { waitFor } from '../../../../test/harness/wait.js';
import { emulatorClients, FAST_CONSUMER, reportingProcessor } from '../../../../test/workers/fixtures.js';
import { emulatorEnv, runCli, type CliEnvironment } from './cli.js';

const out = (text: string): void => void process.stdout.write(text);

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [kinesisLocal, dynalite] = await Promise.all([startKinesisLocal(), startDynalite()]);
  const cli: CliEnvironment = { kinesisEndpoint: kinesisLocal.endpoint, dynamoEndpoint: dynalite.endpoint, accountId: String(randomInt(1e11, 1e12 - 1)) };
  const { kinesis, dynamo } = emulatorClients(cli.kinesisEndpoint, cli.dynamoEndpoint, cli.accountId);
  let consumer: KinesisConsumer | undefined;
  try {
    out(`$ export AWS_ACCESS_KEY_ID=${cli.accountId} AWS_SECRET_ACCESS_KEY=test\n`);
    out(`$ export KINESIS=${cli.kinesisEndpoint} DYNAMODB=${cli.dynamoEndpoint}\n`);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'orders', ShardCount: 2 }));
    await waitFor(async () => (await runCli(['tail', 'orders', '--kinesis-endpoint', cli.kinesisEndpoint, '--stop-at-tip'], emulatorEnv(cli))).code === 0, { timeoutMs: 30_000 });
    out('# stream "orders" created with 2 shards\n\n');
    const orders = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ id: i, customer: `c${i % 40}`, total: (i * 7) % 100 }));
    out(`# orders.jsonl: 1000 lines like ${orders[0]}\n`);
    await show(cli, ['put', 'orders', '--partition-key-field', 'customer'], '< orders.jsonl', `${orders.join('\n')}\n`);
    await show(cli, ['tail', 'orders', '--from', 'TRIM_HORIZON', '--max-records', '3']);

    await kinesis.send(new SplitShardCommand({ StreamName: 'orders', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (2n ** 126n).toString() }));
    await waitFor(async () => (await runCli(['put', 'orders', '--kinesis-endpoint', cli.kinesisEndpoint, '--quiet'], emulatorEnv(cli), 'after split\n')).code === 0, { timeoutMs: 30_000 });
    out('# shardId-000000000000 split into shardId-000000000002 and -000000000003; one more record put\n');
    out('# a consumer application "billing" (worker-1) starts and reads everything\n\n');
    consumer = new KinesisConsumer({
      streamName: 'orders',
      applicationName: 'billing',
      workerId: 'worker-1',
      kinesisClient: kinesis,
      dynamoDBClient: dynamo,
      initialPosition: 'TRIM_HORIZON',
      processor: reportingProcessor('worker-1', () => undefined),
      ...FAST_CONSUMER,
      leaseCleanupIntervalMillis: 3_600_000,
    });
    await consumer.start();
    const store = new DynamoDBLeaseStore({ client: dynamo, tableName: 'billing' });
    await waitFor(
      async () => {
        const leases = await store.listLeases();
        const at = (shardId: string) => leases.find((l) => l.leaseKey === shardId)?.checkpoint.sequenceNumber;
        return leases.length === 4 && at('shardId-000000000000') === 'SHARD_END' && /^\d+$/.test(at('shardId-000000000001') ?? '');
      },
      { timeoutMs: 60_000, description: 'the consumer to finish shard 0 and checkpoint shard 1' },
    );

    await show(cli, ['leases', 'billing', '--stream', 'orders', '--sample', '4000']);
    await show(cli, ['leases', 'billing', '--stream', 'orders', '--json', '--no-lag'], undefined, '', (text) => `${text.split('\n').slice(0, 24).join('\n')}\n  ...\n`);
    await show(cli, ['checkpoint', 'reset', 'billing', 'shardId-000000000001', 'TRIM_HORIZON', '--failover-time', '5000']);
    out('# the consumer is stopped (it releases its leases)\n\n');
    await consumer.stop();
    consumer = undefined;
    await show(cli, ['checkpoint', 'reset', 'billing', 'shardId-000000000001', 'TRIM_HORIZON']);
    await show(cli, ['checkpoint', 'set', 'billing', 'shardId-000000000003', '12345', '--stream', 'orders']);
    await show(cli, ['leases', 'billing', '--stream', 'orders']);
    await show(cli, ['tail', 'no-such-stream']);
  } finally {
    await consumer?.stop();
    kinesis.destroy();
    dynamo.destroy();
    await Promise.allSettled([kinesisLocal.stop(), dynalite.stop()]);
  }
}

/** Runs one command and prints it as typed, its output (stdout then stderr) and its exit code. */
async function show(cli: CliEnvironment, args: string[], redirect?: string, input = '', shorten = (text: string) => text): Promise<void> {
  const endpoints = ['leases', 'checkpoint'].includes(args[0]!) ? ['--kinesis-endpoint', cli.kinesisEndpoint, '--dynamodb-endpoint', cli.dynamoEndpoint] : ['--kinesis-endpoint', cli.kinesisEndpoint];
  const typed = ['kinesis-kit', ...args, ...(args[0] === 'leases' || args[0] === 'checkpoint' ? ['--kinesis-endpoint', '$KINESIS', '--dynamodb-endpoint', '$DYNAMODB'] : ['--kinesis-endpoint', '$KINESIS'])];
  out(`$ ${typed.join(' ')}${redirect === undefined ? '' : ` ${redirect}`}\n`);
  const run = await runCli([...args, ...endpoints], emulatorEnv(cli), input);
  out(shorten(run.stdout));
  out(run.stderr);
  out(`(exit ${run.code})\n\n`);
}

await main();
