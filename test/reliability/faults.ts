// The soak's fault mix: seeded plans for the FaultProxy in front of kinesis-local and the one in
// front of dynalite, plus a record of which user records were in a PutRecords request whose
// answer was lost (reset after forwarding, or stored and black-holed), the only ways a record
// can be stored twice here.
import { deaggregate } from '@kinesis-kit/aggregation';
import { partialFailure, randomFaults, type Fault, type FaultPlan, type RandomFaultRule, type RequestInfo } from '../harness/index.js';
import { decodePayload } from '../../demo/protocol.js';

const slow = (_: RequestInfo, random: () => number): Fault => ({ kind: 'delay', ms: 100 + Math.floor(random() * 700) });

/** Kinesis: throttling, partial PutRecords failures, 5xx, resets both ways, slow answers, expired iterators. */
export const KINESIS_RULES: readonly RandomFaultRule[] = [
  { operation: 'PutRecords', probability: 0.08, fault: partialFailure(0.3) },
  { operation: 'PutRecords', probability: 0.02, fault: partialFailure(0.3, 'InternalFailure') },
  { operation: 'PutRecords', probability: 0.03, fault: { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' } },
  { operation: 'PutRecords', probability: 0.02, fault: { kind: 'error', status: 500, code: 'InternalFailure' } },
  { operation: 'PutRecords', probability: 0.015, fault: { kind: 'reset', when: 'before' } },
  { operation: 'PutRecords', probability: 0.015, fault: { kind: 'reset', when: 'after' } },
  { operation: 'GetRecords', probability: 0.02, fault: { kind: 'error', status: 400, code: 'ExpiredIteratorException' } },
  { operation: 'GetRecords', probability: 0.02, fault: { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' } },
  { operation: 'GetRecords', probability: 0.01, fault: { kind: 'error', status: 503, code: 'ServiceUnavailable' } },
  { operation: 'GetRecords', probability: 0.01, fault: { kind: 'reset', when: 'after' } },
  { operation: 'GetShardIterator', probability: 0.03, fault: { kind: 'error', status: 500, code: 'InternalFailure' } },
  { operation: 'ListShards', probability: 0.03, fault: { kind: 'error', status: 400, code: 'LimitExceededException' } },
  // Black holes: accepted, never answered (the timeouts must end them); with forward the write was stored.
  { operation: 'PutRecords', probability: 0.005, fault: { kind: 'blackHole' } },
  { operation: 'PutRecords', probability: 0.005, fault: { kind: 'blackHole', forward: true } },
  { operation: 'GetRecords', probability: 0.005, fault: { kind: 'blackHole' } },
  { operation: 'ListShards', probability: 0.01, fault: { kind: 'blackHole' } },
  // A gone answer for a shard that is still open: it must never end the shard.
  { operation: 'GetShardIterator', probability: 0.03, fault: { kind: 'gone' } },
  { operation: '*', probability: 0.03, fault: slow },
];

/** DynamoDB (the lease table): conditional conflicts, throttling, 5xx, resets, slow answers. */
export const DYNAMO_RULES: readonly RandomFaultRule[] = [
  { operation: 'UpdateItem', probability: 0.02, fault: { kind: 'error', status: 400, code: 'ConditionalCheckFailedException' } },
  { operation: '*', probability: 0.03, fault: { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' } },
  { operation: '*', probability: 0.01, fault: { kind: 'error', status: 500, code: 'InternalServerError' } },
  { operation: 'UpdateItem', probability: 0.01, fault: { kind: 'reset', when: 'after' } },
  { operation: '*', probability: 0.01, fault: { kind: 'reset', when: 'before' } },
  // Black holes: a renewal, take or checkpoint applied but never answered; a scan never answered.
  { operation: 'UpdateItem', probability: 0.005, fault: { kind: 'blackHole', forward: true } },
  { operation: 'UpdateItem', probability: 0.005, fault: { kind: 'blackHole' } },
  { operation: 'Scan', probability: 0.01, fault: { kind: 'blackHole' } },
  { operation: '*', probability: 0.03, fault: slow },
];

/** Wraps a Kinesis plan to remember the user records (`k:s`) of every PutRecords reset after forwarding. */
export function recordingLostAnswers(plan: FaultPlan, runId: string): { plan: FaultPlan; lostAnswers: Set<string> } {
  const lostAnswers = new Set<string>();
  return {
    lostAnswers,
    plan: (request) => {
      const fault = plan(request);
      const answerLost = (fault?.kind === 'reset' && fault.when === 'after') || (fault?.kind === 'blackHole' && fault.forward === true);
      if (answerLost && request.operation === 'PutRecords') {
        for (const entry of (request.body.Records ?? []) as { Data: string; PartitionKey: string }[]) {
          const record = { data: Buffer.from(entry.Data, 'base64'), partitionKey: entry.PartitionKey, sequenceNumber: '0' };
          for (const user of deaggregate(record)) {
            const payload = decodePayload(user.data, runId);
            if (payload !== undefined) lostAnswers.add(`${payload.k}:${payload.s}`);
          }
        }
      }
      return fault;
    },
  };
}

/**
 * Faults at fixed request numbers of an operation (1-based), before the random rules: even the
 * short soak meets each of these at least once, whatever the draws.
 */
function atRequests(fixed: Readonly<Record<string, Readonly<Record<number, Fault>>>>, then: FaultPlan): FaultPlan {
  const seen = new Map<string, number>();
  return (request) => {
    const n = (seen.get(request.operation) ?? 0) + 1;
    seen.set(request.operation, n);
    return fixed[request.operation]?.[n] ?? then(request);
  };
}

const FIXED_KINESIS: Record<string, Record<number, Fault>> = {
  PutRecords: { 5: { kind: 'blackHole', forward: true }, 9: { kind: 'blackHole' } },
  GetRecords: { 30: { kind: 'blackHole' } },
  GetShardIterator: { 2: { kind: 'gone' } },
};
const FIXED_DYNAMO: Record<string, Record<number, Fault>> = {
  UpdateItem: { 20: { kind: 'blackHole', forward: true } },
  Scan: { 10: { kind: 'blackHole' } },
};

export function soakPlans(seed: number, runId: string): { kinesis: FaultPlan; dynamo: FaultPlan; lostAnswers: Set<string> } {
  const { plan, lostAnswers } = recordingLostAnswers(atRequests(FIXED_KINESIS, randomFaults(seed, KINESIS_RULES)), runId);
  return { kinesis: plan, dynamo: atRequests(FIXED_DYNAMO, randomFaults(seed + 1, DYNAMO_RULES)), lostAnswers };
}
