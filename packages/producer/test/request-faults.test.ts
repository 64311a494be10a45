// Whole-request and per-record errors against kinesis-local behind a FaultProxy: how many records
// one error may take down. A clock-skew or expired-token answer is retried; a request refused
// for one bad record is bisected so that record fails alone; an unknown per-record code is
// retried until the TTL, as the KPL does.
import type { KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import type { FaultPlan } from '../../../test/harness/index.js';
import type { PutRecordError} from '../src/index.js';
import { type PutResult } from '../src/index.js';
import { readUserRecords } from './support/emulator.js';
import { proxiedProducers, type Tuning } from './support/proxied.js';
import { payload } from './support/setup.js';

/** What Kinesis answers a request signed more than 5 minutes off the server's clock. */
const SIGNATURE_EXPIRED = 'Signature expired: 20261202T070000Z is now earlier than 20261202T071000Z (20261202T071500Z - 5 min.)';

/** Fails the first `times` requests of `operation` with `fault`, then forwards everything. */
function firstRequests(operation: string, times: number, fault: ReturnType<FaultPlan>): FaultPlan {
  let seen = 0;
  return (request) => (request.operation === operation && seen++ < times ? fault : undefined);
}

describe('the blast radius of request errors (kinesis-local behind a fault proxy)', () => {
  const env = proxiedProducers('request-faults');

  async function run(plan: FaultPlan, count: number, options: Tuning = {}, clientConfig: KinesisClientConfig = {}) {
    const { stream, proxy, proxied, producer } = await env.start(2, { backoff: { initialDelayMs: 20, maxDelayMs: 200 }, ...options }, plan, clientConfig);
    const settled = await Promise.allSettled(
      Array.from({ length: count }, (_, i) => producer.put({ partitionKey: i === 0 ? 'poison' : `key-${i % 30}`, data: payload(`key-${i % 30}`, i) })),
    );
    await producer.close();
    const stored = new Set((await readUserRecords(env.client, stream.streamName)).map((r) => r.index));
    return { settled, stored, proxy, proxied };
  }

  const fulfilled = (settled: readonly PromiseSettledResult<PutResult>[]): PutResult[] => settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));

  it.each([
    ['clock skew (InvalidSignatureException: Signature expired)', 'InvalidSignatureException', SIGNATURE_EXPIRED],
    ['clock skew (RequestTimeTooSkewed)', 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.'],
    ['expired credentials (ExpiredTokenException)', 'ExpiredTokenException', 'The security token included in the request is expired'],
  ])('a whole request refused for %s is retried, not failed', async (_, code, message) => {
    const { settled, stored } = await run(firstRequests('PutRecords', 1, { kind: 'error', status: 400, code, message }), 200, { collectionMaxCount: 500 });
    const results = fulfilled(settled);
    expect(results).toHaveLength(200);
    expect(results.some((r) => r.attempts[0]!.errorCode === code)).toBe(true);
    expect(stored.size).toBe(200);
  });

  it('a ListShards refused with ExpiredTokenException at startup is retried', async () => {
    const { settled, proxy } = await run(firstRequests('ListShards', 2, { kind: 'error', status: 400, code: 'ExpiredTokenException', message: 'The security token included in the request is expired' }), 10);
    expect(fulfilled(settled)).toHaveLength(10);
    expect(proxy.count('ListShards', 'error')).toBe(2);
  });

  it('a client clock 10 minutes off: the SDK corrects its offset from the answers\' Date header, and the refused request is retried', async () => {
    const { settled, proxied } = await run(
      firstRequests('PutRecords', 1, { kind: 'error', status: 400, code: 'InvalidSignatureException', message: SIGNATURE_EXPIRED }),
      20,
      {},
      { systemClockOffset: -10 * 60_000 },
    );
    expect(fulfilled(settled)).toHaveLength(20);
    // The answers' Date header (the real time) corrected the offset the client signs with.
    expect(Math.abs(proxied.config.systemClockOffset ?? Number.NaN)).toBeLessThan(60_000);
  });

  it('an InvalidSignatureException for a wrong secret key still fails at once, NON_RETRIABLE', async () => {
    const wrongKey = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.';
    const { settled, proxy } = await run(() => ({ kind: 'error', status: 400, code: 'InvalidSignatureException', message: wrongKey }), 5, { aggregation: false });
    expect(settled.map((s) => (s.status === 'rejected' ? (s.reason as PutRecordError).code : 'written'))).toEqual(Array(5).fill('NON_RETRIABLE'));
    expect(proxy.count('ListShards')).toBe(1);
  });

  it('a request refused as a whole because of one bad record is bisected: only that record fails', async () => {
    const poisoned: FaultPlan = ({ operation, body }) => {
      const records = (body.Records ?? []) as { PartitionKey?: string }[];
      if (operation !== 'PutRecords' || !records.some((r) => r.PartitionKey === 'poison')) return undefined;
      return { kind: 'error', status: 400, code: 'ValidationException', message: "1 validation error detected: Value at 'records.1.member.data' failed to satisfy constraint" };
    };
    const { settled, stored, proxy } = await run(poisoned, 120, { aggregation: false, collectionMaxCount: 100 });
    const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [[i, s.reason as PutRecordError] as const] : []));
    expect(failed.map(([i]) => i)).toEqual([0]);
    const [, error] = failed[0]!;
    expect(error).toMatchObject({ code: 'NON_RETRIABLE', causeCode: 'ValidationException', record: { partitionKey: 'poison' } });
    expect(error.attempts.length).toBeGreaterThan(1); // each halving is one attempt
    expect(stored.size).toBe(119);
    expect(stored.has(0)).toBe(false);
    expect(proxy.count('PutRecords', 'error')).toBeLessThanOrEqual(1 + Math.ceil(Math.log2(100)));
  });

  it('an unknown per-record error code is retried until written, as the KPL does', async () => {
    const { settled, stored } = await run(firstRequests('PutRecords', 2, { kind: 'partial', indices: [0, 1, 2], code: 'SomeFutureTransientError' }), 60, { aggregation: false });
    const results = fulfilled(settled);
    expect(results).toHaveLength(60);
    expect(results.some((r) => r.attempts[0]!.errorCode === 'SomeFutureTransientError')).toBe(true);
    expect(stored.size).toBe(60);
  });
});
