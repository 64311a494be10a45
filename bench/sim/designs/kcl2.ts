import { EvenShareAssignment, KinesisConsumer } from '@kinesis-kit/consumer';
import { seededRandom } from '../../lib/measure.js';
import type { SimDesign, SimWorker, WorkerContext } from '../fleet.js';
import { checkpointEveryBatch, seedOf } from './current.js';

/**
 * The Java KCL 2.x protocol (coordination: 'kcl2'): every worker scans the table every taking
 * round, renews each lease, takes and steals; the leader is the live worker with the smallest id.
 * Kept for mixed fleets with Java KCL 2.x workers; measured here beside the fleet protocol.
 */
export const kcl2Design: SimDesign = {
  name: "kinesis-kit (coordination: 'kcl2')",
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
      coordination: 'kcl2',
      assignmentPolicy: new EvenShareAssignment(seededRandom(seedOf(context.workerId))),
      processor: checkpointEveryBatch,
    });
    return { start: () => consumer.start(), stop: () => consumer.stop(), held: () => consumer.stats().leasesHeld };
  },
  leader: (live) => [...live].sort()[0],
};
