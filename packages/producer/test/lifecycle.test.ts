import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LIFECYCLE, PutRecordError, type StateChangeEvent } from '../src/index.js';
import { fakeProducer, payload, track } from './support/setup.js';
import { settle } from './support/manual-clock.js';

const data = payload('k', 0);

describe('lifecycle', () => {
  it('allows only open -> closing -> closed', () => {
    expect(LIFECYCLE).toEqual({ open: ['closing'], closing: ['closed'], closed: [] });
  });

  it('close() flushes without waiting for recordMaxBufferedTime, then refuses puts; calling it again returns the same promise', async () => {
    const { clock, fake, producer } = fakeProducer({ recordMaxBufferedTime: 10_000 });
    const states: StateChangeEvent[] = [];
    producer.on('stateChange', (event) => states.push(event));
    const puts = track(Array.from({ length: 10 }, (_, i) => producer.put({ partitionKey: `k${i}`, data })));
    const closing = producer.close();
    expect(producer.close()).toBe(closing);
    expect(producer.state).toBe('closing');
    await clock.advance(1);
    await closing;
    expect(puts.fulfilled).toHaveLength(10);
    expect(fake.stored.length).toBeGreaterThan(0);
    expect(producer.state).toBe('closed');
    expect(states).toEqual([
      { from: 'open', to: 'closing' },
      { from: 'closing', to: 'closed' },
    ]);
    await expect(producer.put({ partitionKey: 'late', data })).rejects.toMatchObject({ code: 'PRODUCER_CLOSED', record: { partitionKey: 'late' } });
    await expect(producer.enqueue({ partitionKey: 'late', data })).rejects.toBeInstanceOf(PutRecordError);
  });

  it('flush() sends at once and resolves when the records accepted before it have settled', async () => {
    const { clock, fake, producer } = fakeProducer({ recordMaxBufferedTime: 10_000 });
    fake.plan = (i) => (i === 0 ? { kind: 'ok' } : { kind: 'hang' });
    const before = track([producer.put({ partitionKey: 'a', data })]);
    let flushed = false;
    void producer.flush().then(() => (flushed = true));
    await clock.advance(1);
    const after = track([producer.put({ partitionKey: 'b', data })]);
    await clock.advance(1);
    expect(before.fulfilled).toHaveLength(1);
    expect(flushed).toBe(true);
    expect(after.settled).toBe(0);
    expect(producer.outstandingRecords).toBe(1);
    await producer.close({ signal: AbortSignal.abort() });
  });

  it('close() with an aborted signal fails what is still outstanding with ABORTED, carrying the attempts so far', async () => {
    const { clock, fake, producer } = fakeProducer({ backoff: { initialDelayMs: 1_000, jitter: 'none' } });
    fake.plan = () => ({ kind: 'partial', code: () => 'InternalFailure' });
    const puts = track(Array.from({ length: 3 }, (_, i) => producer.put({ partitionKey: `k${i}`, data })));
    await clock.advance(200); // sent once, failed, waiting to be retried
    const controller = new AbortController();
    const closing = producer.close({ signal: controller.signal });
    controller.abort(new Error('shutdown deadline'));
    await closing;
    expect(puts.rejected).toHaveLength(3);
    for (const error of puts.rejected) {
      expect(error).toMatchObject({ code: 'ABORTED', causeCode: 'InternalFailure', attempts: [{ errorCode: 'InternalFailure' }] });
    }
    expect(producer.state).toBe('closed');
  });

  it('refuses puts still waiting for buffer room when close() begins', async () => {
    const { clock, producer } = fakeProducer({ maxBufferedRecords: 1 });
    const first = track([producer.put({ partitionKey: 'a', data })]);
    const waiting = track<unknown>([producer.put({ partitionKey: 'b', data }), producer.enqueue({ partitionKey: 'c', data })]);
    expect(producer.waitingRecords).toBe(2);
    const closing = producer.close();
    await clock.advance(1);
    await closing;
    expect(first.fulfilled).toHaveLength(1);
    expect(waiting.rejected.map((e) => (e as PutRecordError).code)).toEqual(['PRODUCER_CLOSED', 'PRODUCER_CLOSED']);
  });

  it('gives up waiting for room when the put\'s signal aborts, without accepting the record', async () => {
    const { clock, producer } = fakeProducer({ maxBufferedRecords: 1 });
    void producer.put({ partitionKey: 'a', data });
    const controller = new AbortController();
    const waiting = producer.enqueue({ partitionKey: 'b', data }, { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED', record: { partitionKey: 'b' } });
    await expect(producer.put({ partitionKey: 'c', data }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(producer.waitingRecords).toBe(0);
    await clock.advance(200);
    expect(producer.outstandingRecords).toBe(0);
    await producer.close();
  });

  it('fails records at once when the stream cannot be listed (non-retriable), with the cause', async () => {
    const { clock, fake, producer } = fakeProducer();
    fake.listShards = () => Promise.reject(Object.assign(new Error('no such stream'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } }));
    const put = track([producer.put({ partitionKey: 'k', data })]);
    await clock.runUntil(() => put.settled === 1, 1_000);
    expect(put.rejected[0]).toMatchObject({ code: 'NON_RETRIABLE', causeCode: 'ResourceNotFoundException' });
    await producer.close();
  });

  it('retries a ListShards that fails retriably', async () => {
    const { clock, fake, producer } = fakeProducer({ backoff: { initialDelayMs: 10 } });
    const listShards = fake.listShards.bind(fake);
    let calls = 0;
    fake.listShards = () => (++calls < 3 ? Promise.reject(Object.assign(new Error('busy'), { name: 'LimitExceededException' })) : listShards());
    const put = track([producer.put({ partitionKey: 'k', data })]);
    await clock.runUntil(() => put.settled === 1, 2_000);
    expect(put.fulfilled).toHaveLength(1);
    expect(calls).toBe(3);
    await producer.close();
  });
});

describe('unhandled rejections', () => {
  const seen: unknown[] = [];
  const listener = (reason: unknown): void => void seen.push(reason);
  beforeEach(() => {
    seen.length = 0;
    process.on('unhandledRejection', listener);
  });
  afterEach(() => {
    process.off('unhandledRejection', listener);
  });

  it('never come from puts nobody awaits, nor from enqueue() tickets that are dropped', async () => {
    const { clock, fake, producer } = fakeProducer();
    fake.plan = () => ({ kind: 'partial', code: () => 'KMSAccessDeniedException' });
    const failures: PutRecordError[] = [];
    producer.on('recordFailed', (error) => failures.push(error));
    void producer.put({ partitionKey: '', data }); // invalid, never awaited
    void producer.put({ partitionKey: 'k', data }); // fails in Kinesis, never awaited
    await producer.enqueue({ partitionKey: 'k2', data }); // ticket dropped, fails
    await clock.advance(500);
    await producer.close();
    await settle();
    expect(seen).toEqual([]);
    expect(failures.map((e) => e.code).sort()).toEqual(['INVALID_PARTITION_KEY', 'NON_RETRIABLE', 'NON_RETRIABLE']);
  });

  it('a ticket read after its record failed still rejects, and is still handled', async () => {
    const { clock, fake, producer } = fakeProducer();
    fake.plan = () => ({ kind: 'partial', code: () => 'KMSAccessDeniedException' });
    const ticket = await producer.enqueue({ partitionKey: 'k', data });
    await clock.advance(500);
    await settle();
    await expect(ticket.result).rejects.toMatchObject({ code: 'NON_RETRIABLE' });
    const ok = fakeProducer();
    const okTicket = await ok.producer.enqueue({ partitionKey: 'k', data });
    await ok.clock.advance(500);
    await expect(okTicket.result).resolves.toMatchObject({ subSequenceNumber: 0 });
    await Promise.all([producer.close(), ok.producer.close()]);
    expect(seen).toEqual([]);
  });
});
