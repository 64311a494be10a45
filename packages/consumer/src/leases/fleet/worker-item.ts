import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ENTITY_TYPE_ATTRIBUTE, LEASE_ATTRIBUTES } from '../lease-item.js';
import { encodeStreams, parseStreams } from './fleet-item.js';
import type { WorkerRecord } from './fleet-store.js';

/**
 * A worker's own item, in the Java KCL 3.5 WORKER_METRIC_STATS format as it stores it in the
 * lease table (WorkerMetricStats.LeaseTableWorkerMetricStats: the worker id is the leaseKey):
 * `entityType`, `lut` (last update, epoch seconds), `sts` (metric stats, empty: we report none)
 * and `opr` (operating ranges, empty), and `properties` (string map) holding our slot in the
 * fleet item. Written when the worker joins, deleted when it leaves; a new leader reads them all
 * in its first scan to map slots back to worker ids.
 */
export const WORKER_ENTITY_TYPE = 'WORKER_METRIC_STATS';
export const WORKER_ATTRIBUTES = { lastUpdateTime: 'lut', metricStats: 'sts', operatingRange: 'opr', properties: 'properties' } as const;
/** The key in `properties` holding the worker's fleet slot. */
export const SLOT_PROPERTY = 'kinesis-kit.slot';
/** The key in `properties` holding a multi-stream worker's streams (JSON array of stream identifiers). */
export const STREAMS_PROPERTY = 'kinesis-kit.streams';

export type Item = Record<string, AttributeValue>;

export function toWorkerItem(worker: WorkerRecord, nowMillis: number): Item {
  return {
    [LEASE_ATTRIBUTES.leaseKey]: { S: worker.workerId },
    [ENTITY_TYPE_ATTRIBUTE]: { S: WORKER_ENTITY_TYPE },
    [WORKER_ATTRIBUTES.lastUpdateTime]: { N: String(Math.floor(nowMillis / 1000)) },
    [WORKER_ATTRIBUTES.metricStats]: { M: {} },
    [WORKER_ATTRIBUTES.operatingRange]: { M: {} },
    [WORKER_ATTRIBUTES.properties]: {
      M: { [SLOT_PROPERTY]: { S: worker.slot }, ...(worker.streams === undefined ? {} : { [STREAMS_PROPERTY]: { S: encodeStreams(worker.streams) } }) },
    },
  };
}

export function isWorkerItem(item: Item): boolean {
  return item[ENTITY_TYPE_ATTRIBUTE]?.S === WORKER_ENTITY_TYPE;
}

/** The worker record in a WORKER_METRIC_STATS item; undefined when it carries no slot of ours (a Java worker's). */
export function fromWorkerItem(item: Item): WorkerRecord | undefined {
  const workerId = item[LEASE_ATTRIBUTES.leaseKey]?.S;
  const properties = item[WORKER_ATTRIBUTES.properties]?.M;
  const slot = properties?.[SLOT_PROPERTY]?.S;
  if (workerId === undefined || slot === undefined || slot === '') return undefined;
  const streams = parseStreams(properties?.[STREAMS_PROPERTY]?.S);
  return streams === undefined ? { workerId, slot } : { workerId, slot, streams };
}
