import type { KinesisClient, KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { FaultProxy, createStream, kinesisClient, testAccountId, type FaultPlan, type TestStream } from '../../../../test/harness/index.js';
import { KinesisProducer, type KinesisProducerOptions } from '../../src/index.js';

export type Tuning = Omit<Partial<KinesisProducerOptions>, 'streamName' | 'streamARN' | 'kinesisClient' | 'writePort'>;

export interface ProxiedProducer {
  readonly stream: TestStream;
  readonly proxy: FaultProxy;
  /** The SDK client the producer uses, pointed at the proxy. */
  readonly proxied: KinesisClient;
  readonly producer: KinesisProducer;
}

/**
 * For a describe block: one account on kinesis-local, and `start()` for a fresh stream with a
 * FaultProxy in front of kinesis-local and a producer writing through it. Everything a test
 * started is released after it (the producer closed with an aborted signal if still open).
 */
export function proxiedProducers(prefix: string): { readonly client: KinesisClient; start(shards: number, options: Tuning, plan?: FaultPlan, clientConfig?: KinesisClientConfig): Promise<ProxiedProducer> } {
  const accountId = testAccountId();
  let client: KinesisClient | undefined;
  const cleanup: (() => Promise<void> | void)[] = [];
  beforeAll(() => {
    client = kinesisClient({ accountId });
  });
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  afterAll(() => client?.destroy());
  return {
    get client() {
      return client!;
    },
    async start(shards, options, plan, clientConfig = {}) {
      const stream = await createStream(client!, shards, prefix);
      cleanup.push(() => stream.delete());
      const proxy = await FaultProxy.start(inject('kinesisEndpoint'), plan);
      cleanup.push(() => proxy.close());
      const proxied = kinesisClient({ endpoint: proxy.endpoint, accountId }, clientConfig);
      cleanup.push(() => proxied.destroy());
      const producer = new KinesisProducer({ streamName: stream.streamName, kinesisClient: proxied, recordMaxBufferedTime: 20, ...options });
      cleanup.push(() => producer.close({ signal: AbortSignal.abort() }));
      return { stream, proxy, proxied, producer };
    },
  };
}
