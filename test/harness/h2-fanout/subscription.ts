import type { ServerHttp2Stream } from 'node:http2';
import { setTimeout as sleep } from 'node:timers/promises';
import { exceptionEvent, initialResponse, subscribeToShardEvent, type WireEvent } from './event-stream.js';
import type { ClientCredentials, Upstream } from './upstream.js';

/** What the peer does to one subscription instead of serving it normally. */
export type SubscriptionFault =
  /** After `afterEvents` events, send nothing more and keep the stream open (a silent stall). */
  | { readonly kind: 'stall'; readonly afterEvents: number }
  /**
   * After `afterEvents` events, close the subscription's session (its TLS connection): after a
   * GOAWAY frame (`goAway: true`), or abruptly: the TLS connection closed with no HTTP/2 frame.
   */
  | { readonly kind: 'closeSession'; readonly afterEvents: number; readonly goAway: boolean }
  /** After `afterEvents` events, send a modelled exception event (e.g. InternalFailureException) and end the stream. */
  | { readonly kind: 'exception'; readonly afterEvents: number; readonly name: string };

export type SubscriptionEndReason =
  /** The peer ended it after subscriptionMillis, as the service does after 5 minutes. */
  | 'expired'
  /** The shard's last event (no continuation, ChildShards) was sent. */
  | 'shardEnd'
  /** The client closed the stream (or its connection). */
  | 'cancelled'
  /** The peer closed the session (closeSession fault). */
  | 'sessionClosed'
  /** A later subscribe of the same consumer and shard took over. */
  | 'takenOver'
  /** An exception event was sent (the exception fault, or reading kinesis-local failed). */
  | 'failed';

export interface SentEvent {
  readonly sequenceNumbers: readonly string[];
  readonly continuation: string | null;
  readonly childShardIds: readonly string[];
}

export interface SubscriptionRecord {
  readonly id: number;
  /** The HTTP/2 session (connection) it came on, numbered by the peer. */
  readonly sessionId: number;
  readonly consumerARN: string;
  readonly shardId: string;
  readonly startingPosition: { readonly Type: string; readonly SequenceNumber?: string; readonly Timestamp?: number };
  readonly events: SentEvent[];
  end: SubscriptionEndReason | undefined;
}

export interface SubscriptionSettings {
  /** Most records per event (GetRecords Limit). */
  readonly recordsPerEvent: number;
  readonly subscriptionMillis: number;
  readonly pollMillis: number;
  readonly heartbeatMillis: number;
}

interface GetRecordsPage {
  readonly Records?: readonly { readonly SequenceNumber: string }[];
  readonly NextShardIterator?: string | null;
  readonly MillisBehindLatest?: number;
  readonly ChildShards?: readonly { readonly ShardId: string }[];
}

/**
 * One SubscribeToShard subscription served from kinesis-local's records: the peer reads the
 * shard with GetShardIterator / GetRecords from the starting position and pushes each page as
 * a SubscribeToShardEvent, honouring the stream's flow control (a write that does not drain
 * waits). ContinuationSequenceNumber is the last record sent, or the AFTER_SEQUENCE_NUMBER start
 * while nothing was sent; empty events (heartbeats) go out every heartbeatMillis once a
 * continuation is known. At the closed shard's end (GetRecords gives no next iterator) the last
 * event has a null continuation and the ChildShards, and the stream ends.
 */
export class ServedSubscription {
  readonly startedAt = Date.now();
  readonly #closed = new AbortController();
  #continuation: string | undefined;
  #waitingForDrain = false;

  constructor(
    readonly record: SubscriptionRecord,
    private readonly stream: ServerHttp2Stream,
    private readonly streamARN: string,
    private readonly credentials: ClientCredentials,
    private readonly upstream: Upstream,
    private readonly settings: SubscriptionSettings,
    private readonly fault: SubscriptionFault | undefined,
    /** Closes the connection the subscription came on (the closeSession fault). */
    private readonly closeConnection: (goAway: boolean) => void,
  ) {
    stream.on('error', () => undefined);
    stream.once('close', () => {
      record.end ??= 'cancelled';
      this.#closed.abort();
    });
    const { Type, SequenceNumber } = record.startingPosition;
    if (Type === 'AFTER_SEQUENCE_NUMBER') this.#continuation = SequenceNumber;
  }

  get isOpen(): boolean {
    return !this.#closed.signal.aborted;
  }

  /**
   * The client's HTTP/2 flow control holds the peer back: a write waits to drain, its bytes are
   * still in the stream's buffer, and the session has no frame queued for the socket (so what
   * holds them is the stream's send window, not a slow socket; Node does not expose that window).
   */
  get blockedByFlowControl(): boolean {
    return this.#waitingForDrain && this.stream.writableLength > 0 && this.stream.session?.state.outboundQueueSize === 0;
  }

  /** A new subscription of the same consumer and shard replaces this one: it ends. */
  takeOver(): void {
    if (!this.isOpen) return;
    this.record.end = 'takenOver';
    this.stream.end();
  }

  /** GetShardIterator at the starting position, before anything is answered: its errors become the subscribe call's error. */
  firstIterator(): Promise<string> {
    const { startingPosition: start, shardId } = this.record;
    const input = { StreamARN: this.streamARN, ShardId: shardId, ShardIteratorType: start.Type, StartingSequenceNumber: start.SequenceNumber, Timestamp: start.Timestamp };
    return this.upstream.call<{ ShardIterator: string }>('GetShardIterator', input, this.credentials).then((answer) => answer.ShardIterator);
  }

  /** Answers 200, sends initial-response, then events until the subscription ends; a failed read ends it with InternalFailureException. */
  async run(iterator: string): Promise<void> {
    this.stream.respond({ ':status': 200, 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': `peer-${this.record.id}` });
    await this.#write(initialResponse());
    try {
      await this.#push(iterator);
    } catch (error) {
      await this.#write(exceptionEvent('InternalFailureException', String(error)));
      this.#end('failed');
    }
  }

  async #push(firstIterator: string): Promise<void> {
    const endsAt = this.startedAt + this.settings.subscriptionMillis;
    let iterator = firstIterator;
    let lastSentAt = Date.now();
    while (this.isOpen && Date.now() < endsAt) {
      const page = await this.upstream.call<GetRecordsPage>('GetRecords', { ShardIterator: iterator, Limit: this.settings.recordsPerEvent }, this.credentials);
      const records = page.Records ?? [];
      const last = records.at(-1);
      if (last !== undefined) this.#continuation = last.SequenceNumber;
      const shardEnd = page.NextShardIterator === undefined || page.NextShardIterator === null;
      const heartbeatDue = Date.now() - lastSentAt >= this.settings.heartbeatMillis && this.#continuation !== undefined;
      if (records.length > 0 || heartbeatDue || shardEnd) {
        if (await this.#faulted()) return;
        await this.#sendEvent(page, shardEnd);
        lastSentAt = Date.now();
      }
      if (shardEnd) return this.#end('shardEnd');
      iterator = page.NextShardIterator!;
      if (records.length === 0) await sleep(Math.min(this.settings.pollMillis, Math.max(0, endsAt - Date.now())), undefined, { signal: this.#closed.signal }).catch(() => undefined);
    }
    this.#end('expired');
  }

  async #sendEvent(page: GetRecordsPage, shardEnd: boolean): Promise<void> {
    const records = page.Records ?? [];
    const event: WireEvent = {
      Records: records,
      ContinuationSequenceNumber: shardEnd ? null : (this.#continuation ?? null),
      MillisBehindLatest: page.MillisBehindLatest ?? 0,
      ...(shardEnd ? { ChildShards: page.ChildShards ?? [] } : {}),
    };
    this.record.events.push({
      sequenceNumbers: records.map((r) => r.SequenceNumber),
      continuation: event.ContinuationSequenceNumber,
      childShardIds: (page.ChildShards ?? []).map((c) => c.ShardId),
    });
    await this.#write(subscribeToShardEvent(event));
  }

  /** Applies the fault once its event count is reached; true when the subscription is over for the peer. */
  async #faulted(): Promise<boolean> {
    const fault = this.fault;
    if (fault === undefined || this.record.events.length < fault.afterEvents) return false;
    if (fault.kind === 'stall') {
      if (this.isOpen) await new Promise((resolve) => this.#closed.signal.addEventListener('abort', resolve, { once: true }));
      return true;
    }
    if (fault.kind === 'exception') {
      await this.#write(exceptionEvent(fault.name, `injected ${fault.name}`));
      this.#end('failed');
      return true;
    }
    this.record.end = 'sessionClosed';
    this.closeConnection(fault.goAway);
    return true;
  }

  async #write(bytes: Uint8Array): Promise<void> {
    if (!this.isOpen || this.stream.write(bytes)) return;
    this.#waitingForDrain = true;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.#waitingForDrain = false;
        this.stream.off('drain', done);
        this.#closed.signal.removeEventListener('abort', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.#closed.signal.addEventListener('abort', done, { once: true });
    });
  }

  #end(reason: SubscriptionEndReason): void {
    if (!this.isOpen) return;
    this.record.end = reason;
    this.stream.end();
  }
}
