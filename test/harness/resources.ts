import { randomBytes } from 'node:crypto';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  ListShardsCommand,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { waitFor } from './wait.js';

/** A resource name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export interface TestStream {
  readonly streamName: string;
  readonly streamARN: string;
  delete(): Promise<void>;
}

/** Creates a provisioned stream and waits until it is ACTIVE. */
export async function createStream(client: KinesisClient, shardCount: number, prefix = 'stream'): Promise<TestStream> {
  const streamName = uniqueName(prefix);
  await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  const streamARN = await waitForStreamActive(client, streamName);
  return {
    streamName,
    streamARN,
    delete: async () => {
      await client.send(new DeleteStreamCommand({ StreamName: streamName, EnforceConsumerDeletion: true })).catch(() => undefined);
    },
  };
}

export async function waitForStreamActive(client: KinesisClient, streamName: string): Promise<string> {
  return waitFor(
    async () => {
      const { StreamDescriptionSummary: summary } = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
      return summary?.StreamStatus === 'ACTIVE' ? summary.StreamARN : undefined;
    },
    { description: `stream ${streamName} to become ACTIVE` },
  );
}

/** Every shard of the stream (paginated), open and closed. */
export async function listAllShards(client: KinesisClient, streamName: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListShardsCommand(nextToken === undefined ? { StreamName: streamName } : { NextToken: nextToken }),
    );
    shards.push(...(page.Shards ?? []));
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return shards;
}
