// Shared by the consumer end-to-end tests and the worker script they run in child processes:
// a processor that reports every delivered record and checkpoint, and test-speed options.
// Nothing here imports vitest, so a plain Node process can load it.
import http from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ConsumerTunables, ShardRecordProcessor, ShardRecordProcessorFactory } from '@kinesis-kit/consumer';

/** What a test processor reports: a user record delivered, or a checkpoint that was written. */
export type Report =
  | {
      readonly type: 'record';
      readonly workerId: string;
      readonly shardId: string;
      readonly partitionKey: string;
      readonly data: string;
      readonly sequenceNumber: string;
      readonly subSequenceNumber: number;
    }
  | { readonly type: 'checkpoint'; readonly workerId: string; readonly shardId: string; readonly sequenceNumber: string; readonly subSequenceNumber: number }
  | { readonly type: 'shardEnded' | 'shutdownRequested' | 'leaseLost'; readonly workerId: string; readonly shardId: string };

/**
 * Test speed: taking rounds every 250 ms, reads every 50 ms, the KCL's 10 s failover (no lease
 * may look expired by accident while a busy test run stalls the shared emulators; handoffs,
 * joins and resharding do not wait for expiry). Tests of failover set a shorter one.
 */
export const FAST_CONSUMER: ConsumerTunables = {
  leaseTakingIntervalMillis: 250,
  shardSyncIntervalMillis: 1_000,
  leaseCleanupIntervalMillis: 1_000,
  tableScanIntervalMillis: 1_000,
  gracefulShutdownTimeoutMillis: 5_000,
  idleTimeBetweenReadsMillis: 50,
  minTimeBetweenReadsMillis: 0,
};

/**
 * A processor per shard that reports each record, then checkpoints the batch; at shard end it
 * checkpoints SHARD_END; at shutdown it checkpoints what it was given.
 */
export function reportingProcessor(workerId: string, report: (report: Report) => void): ShardRecordProcessorFactory {
  return ({ shardId }): ShardRecordProcessor => ({
    async processRecords({ records, checkpointer }) {
      for (const r of records) {
        report({
          type: 'record',
          workerId,
          shardId,
          partitionKey: r.partitionKey,
          data: new TextDecoder().decode(r.data),
          sequenceNumber: r.sequenceNumber,
          subSequenceNumber: r.subSequenceNumber,
        });
      }
      const last = records.at(-1);
      if (last === undefined) return;
      await checkpointer.checkpoint();
      report({ type: 'checkpoint', workerId, shardId, sequenceNumber: last.sequenceNumber, subSequenceNumber: last.subSequenceNumber });
    },
    async shardEnded({ checkpointer }) {
      await checkpointer.checkpoint();
      report({ type: 'shardEnded', workerId, shardId });
    },
    async shutdownRequested({ checkpointer }) {
      await checkpointer.checkpoint().catch(() => undefined);
      report({ type: 'shutdownRequested', workerId, shardId });
    },
    leaseLost() {
      report({ type: 'leaseLost', workerId, shardId });
    },
  });
}

/** SDK clients for an emulator outside vitest (HTTP/1.1, as the emulators need; no SDK retries). */
export function emulatorClients(kinesisEndpoint: string, dynamoEndpoint: string, accountId: string): { kinesis: KinesisClient; dynamo: DynamoDBClient } {
  const base = (endpoint: string) => ({
    endpoint,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: accountId, secretAccessKey: 'test' },
    requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }) }),
  });
  return { kinesis: new KinesisClient(base(kinesisEndpoint)), dynamo: new DynamoDBClient(base(dynamoEndpoint)) };
}

/** Writes `texts` as plain records with the given partition keys (text i gets key keys[i % keys.length]). */
export async function putTexts(client: KinesisClient, streamName: string, texts: readonly string[], keys: readonly string[]): Promise<void> {
  for (let i = 0; i < texts.length; i += 500) {
    const chunk = texts.slice(i, i + 500).map((text, j) => ({ PartitionKey: keys[(i + j) % keys.length]!, Data: new TextEncoder().encode(text) }));
    const result = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: chunk }));
    if ((result.FailedRecordCount ?? 0) > 0) throw new Error(`${result.FailedRecordCount} records failed`);
  }
}

/** Records reported per data text (a record delivered twice appears twice). */
export function deliveries(reports: readonly Report[]): Extract<Report, { type: 'record' }>[] {
  return reports.filter((r): r is Extract<Report, { type: 'record' }> => r.type === 'record');
}
