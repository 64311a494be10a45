// The soak's fault mix: seeded plans for the FaultProxy in front of kinesis-local and the one in
// front of dynalite, plus a record of which user records were in a PutRecords request whose
// answer was lost (reset after forwarding), the only way a record can be stored twice here.
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
  { operation: '*', probability: 0.03, fault: slow },
];

/** DynamoDB (the lease table): conditional conflicts, throttling, 5xx, resets, slow answers. */
export const DYNAMO_RULES: readonly RandomFaultRule[] = [
  { operation: 'UpdateItem', probability: 0.02, fault: { kind: 'error', status: 400, code: 'ConditionalCheckFailedException' } },
  { operation: '*', probability: 0.03, fault: { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' } },
  { operation: '*', probability: 0.01, fault: { kind: 'error', status: 500, code: 'InternalServerError' } },
  { operation: 'UpdateItem', probability: 0.01, fault: { kind: 'reset', when: 'after' } },
  { operation: '*', probability: 0.01, fault: { kind: 'reset', when: 'before' } },
  { operation: '*', probability: 0.03, fault: slow },
];

/** Wraps a Kinesis plan to remember the user records (`k:s`) of every PutRecords reset after forwarding. */
export function recordingLostAnswers(plan: FaultPlan, runId: string): { plan: FaultPlan; lostAnswers: Set<string> } {
  const lostAnswers = new Set<string>();
  return {
    lostAnswers,
    plan: (request) => {
      const fault = plan(request);
      if (fault?.kind === 'reset' && fault.when === 'after' && request.operation === 'PutRecords') {
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

export function soakPlans(seed: number, runId: string): { kinesis: FaultPlan; dynamo: FaultPlan; lostAnswers: Set<string> } {
  const { plan, lostAnswers } = recordingLostAnswers(randomFaults(seed, KINESIS_RULES), runId);
  return { kinesis: plan, dynamo: randomFaults(seed + 1, DYNAMO_RULES), lostAnswers };
}
