import { KinesisConsumer, type KinesisConsumerOptions, type ShardRecordProcessorFactory } from '@kinesis-kit/consumer';
import type { SimDesign, SimWorker, WorkerContext } from '../fleet.js';

/** Every batch is checkpointed at once: a busy shard's checkpoint rate is its record rate. */
export const checkpointEveryBatch: ShardRecordProcessorFactory = () => ({
  async processRecords({ records, checkpointer }) {
    if (records.length > 0) await checkpointer.checkpoint();
  },
  async shardEnded({ checkpointer }) {
    await checkpointer.checkpoint();
  },
  async shutdownRequested({ checkpointer }) {
    await checkpointer.checkpoint().catch(() => undefined);
  },
});

/** A seed from the worker id, so every run of the simulation makes the same random choices. */
export function seedOf(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}

/** A SimDesign building the shipped KinesisConsumer with `options` on top of the simulation's clients. */
export function consumerDesign(name: string, options: Partial<KinesisConsumerOptions>, leader: SimDesign['leader']): SimDesign {
  return {
    name,
    tableName: (applicationName) => applicationName,
    createWorker(context: WorkerContext): SimWorker {
      const consumer = new KinesisConsumer({
        streamName: context.streamName,
        applicationName: context.applicationName,
        workerId: context.workerId,
        kinesisClient: context.kinesisClient,
        dynamoDBClient: context.dynamoDBClient,
        clock: context.clock,
        retrieval: context.retrieval,
        initialPosition: 'TRIM_HORIZON',
        processor: checkpointEveryBatch,
        ...options,
      } as KinesisConsumerOptions);
      return { start: () => consumer.start(), stop: () => consumer.stop(), held: () => consumer.stats().leasesHeld };
    },
    ...(leader === undefined ? {} : { leader }),
  };
}

/**
 * Today's coordination: the shipped KinesisConsumer at its defaults (fleet coordination: a leader
 * assigns, workers heartbeat into the fleet item; see FleetCoordinator). The leader is whoever the
 * fleet item names.
 */
export const currentDesign: SimDesign = consumerDesign('kinesis-kit (fleet)', {}, (live, item) => {
  const leader = item('kinesis-kit:fleet')?.ldr?.S;
  return leader !== undefined && live.includes(leader) ? leader : undefined;
});
