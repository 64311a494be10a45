import http2, { type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import type { TLSSocket } from 'node:tls';
import { checkRequestShape } from './request-shape.js';
import { ServedSubscription, type SubscriptionFault, type SubscriptionRecord, type SubscriptionSettings } from './subscription.js';
import { peerTls } from './tls.js';
import { Upstream, UpstreamError, type ClientCredentials } from './upstream.js';

export interface H2FanOutPeerOptions extends Partial<SubscriptionSettings> {
  /** kinesis-local's plain HTTP/1.1 endpoint: every record and every other operation comes from there. */
  readonly upstream: string;
  /**
   * A subscribe of a consumer and shard whose previous subscription is still open and started
   * less than this long ago is refused with ResourceInUseException; later, it takes over (the
   * previous one ends). The service's window is 5 s.
   */
  readonly resourceInUseMillis?: number;
  /** Decides, when a subscription is established, whether it is faulted. */
  readonly faults?: (subscription: SubscriptionRecord) => SubscriptionFault | undefined;
}

export interface SessionRecord {
  readonly id: number;
  /** Operation of each stream (request) opened on the session, in order. */
  readonly streams: string[];
}

const DEFAULTS = { recordsPerEvent: 1_000, subscriptionMillis: 300_000, pollMillis: 100, heartbeatMillis: 1_000, resourceInUseMillis: 5_000 };

/**
 * A loopback HTTP/2 (TLS) Kinesis endpoint for enhanced fan-out tests over the SDK's default
 * HTTP/2 handler, the transport the service uses. SubscribeToShard is served here, from the
 * records in kinesis-local (see ServedSubscription); every other operation is passed on to
 * kinesis-local over HTTP/1.1. Every request is checked against the SDK's request shape
 * (checkRequestShape). Sessions, their streams and every subscription are recorded for assertions.
 */
export class H2FanOutPeer {
  readonly sessions: SessionRecord[] = [];
  readonly subscriptions: SubscriptionRecord[] = [];
  /** Requests refused because they were not in the SDK's shape (tests expect none). */
  readonly malformed: string[] = [];
  /** Subscribe calls refused with ResourceInUseException. */
  resourceInUseRefusals = 0;
  /** See H2FanOutPeerOptions.resourceInUseMillis; a test may shorten it to end a refusal. */
  resourceInUseMillis: number;
  readonly #server: http2.Http2SecureServer;
  readonly #upstream: Upstream;
  readonly #options: H2FanOutPeerOptions & typeof DEFAULTS;
  readonly #sessionIds = new WeakMap<http2.Http2Session, number>();
  readonly #open = new Set<ServerHttp2Session>();
  /** TLS sockets by remote port, to close a session's connection under HTTP/2 (the session's own socket refuses destroy()). */
  readonly #sockets = new Map<number, TLSSocket>();
  readonly #active = new Map<string, ServedSubscription>();
  readonly #served = new Map<number, ServedSubscription>();
  #subscribeCalls = 0;

  private constructor(options: H2FanOutPeerOptions) {
    this.#options = { ...DEFAULTS, ...options };
    this.resourceInUseMillis = this.#options.resourceInUseMillis;
    this.#upstream = new Upstream(options.upstream);
    const { key, cert } = peerTls();
    this.#server = http2.createSecureServer({ key, cert });
    this.#server.on('secureConnection', (socket: TLSSocket) => {
      const port = socket.remotePort ?? -1;
      this.#sockets.set(port, socket);
      socket.once('close', () => this.#sockets.delete(port));
    });
    this.#server.on('session', (session) => this.#onSession(session));
    this.#server.on('stream', (stream, headers) => {
      this.#onStream(stream, headers).catch((error: unknown) => stream.destroy(error instanceof Error ? error : new Error(String(error))));
    });
  }

  static async start(options: H2FanOutPeerOptions): Promise<H2FanOutPeer> {
    const peer = new H2FanOutPeer(options);
    await new Promise<void>((resolve) => peer.#server.listen(0, '127.0.0.1', resolve));
    return peer;
  }

  get endpoint(): string {
    return `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** True while subscription `id` cannot send because the client's HTTP/2 flow-control window is used up. */
  blockedByFlowControl(id: number): boolean {
    return this.#served.get(id)?.blockedByFlowControl === true;
  }

  /** Sessions that carried a SubscribeToShard stream. */
  subscriptionSessions(): SessionRecord[] {
    return this.sessions.filter((session) => session.streams.includes('SubscribeToShard'));
  }

  async close(): Promise<void> {
    for (const session of this.#open) session.destroy();
    this.#upstream.close();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #onSession(session: ServerHttp2Session): void {
    const id = this.sessions.length;
    this.sessions.push({ id, streams: [] });
    this.#sessionIds.set(session, id);
    this.#open.add(session);
    session.on('error', () => undefined);
    session.once('close', () => this.#open.delete(session));
  }

  async #onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    stream.on('error', () => undefined);
    const body = await buffer(stream);
    const shape = checkRequestShape(headers, body);
    const sessionId = stream.session === undefined ? -1 : (this.#sessionIds.get(stream.session) ?? -1);
    this.sessions[sessionId]?.streams.push('operation' in shape ? shape.operation : 'malformed');
    if ('problem' in shape) {
      this.malformed.push(shape.problem);
      return answerError(stream, 400, 'SerializationException', `not a Kinesis request from the SDK: ${shape.problem}`);
    }
    if (shape.operation !== 'SubscribeToShard') return this.#forward(stream, headers, body);
    const credentials = { authorization: String(headers.authorization), 'x-amz-date': String(headers['x-amz-date']) };
    await this.#subscribe(stream, sessionId, credentials, JSON.parse(body.toString('utf8')) as SubscribeRequest);
  }

  async #forward(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, body: Buffer): Promise<void> {
    const answer = await this.#upstream.forward(headers, body);
    const passed = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
    stream.respond({ ...passed, ':status': answer.status, 'content-length': String(answer.body.length) });
    stream.end(answer.body);
  }

  async #subscribe(stream: ServerHttp2Stream, sessionId: number, credentials: ClientCredentials, request: SubscribeRequest): Promise<void> {
    const { ConsumerARN: consumerARN, ShardId: shardId, StartingPosition: startingPosition } = request;
    const key = `${consumerARN} ${shardId}`;
    const previous = this.#active.get(key);
    if (previous?.isOpen === true && Date.now() - previous.startedAt < this.resourceInUseMillis) {
      this.resourceInUseRefusals++;
      return answerError(stream, 400, 'ResourceInUseException', `Another active subscription exists for this consumer: ${consumerARN} and shard ${shardId}`);
    }
    try {
      const { ConsumerDescription: consumer } = await this.#upstream.call<{ ConsumerDescription: { StreamARN: string; ConsumerStatus: string } }>('DescribeStreamConsumer', { ConsumerARN: consumerARN }, credentials);
      if (consumer.ConsumerStatus !== 'ACTIVE') return answerError(stream, 400, 'ResourceInUseException', `Consumer ${consumerARN} is not ACTIVE`);
      const record: SubscriptionRecord = { id: this.#subscribeCalls++, sessionId, consumerARN, shardId, startingPosition, events: [], end: undefined };
      const fault = this.#options.faults?.(record);
      const served = new ServedSubscription(record, stream, consumer.StreamARN, credentials, this.#upstream, this.#options, fault, (goAway) => this.#closeConnection(stream.session, goAway));
      const iterator = await served.firstIterator();
      previous?.takeOver();
      this.#active.set(key, served);
      this.#served.set(record.id, served);
      this.subscriptions.push(record);
      await served.run(iterator);
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      answerError(stream, error.status, error.code, error.message);
    }
  }

  /** The closeSession fault: GOAWAY then close, or the TLS connection closed with no HTTP/2 goodbye. */
  #closeConnection(session: http2.Http2Session | undefined, goAway: boolean): void {
    if (session === undefined) return;
    if (!goAway) return void this.#sockets.get(session.socket.remotePort ?? -1)?.destroy();
    session.goaway(http2.constants.NGHTTP2_NO_ERROR);
    setImmediate(() => session.destroy()); // once the GOAWAY frame is written
  }
}

interface SubscribeRequest {
  readonly ConsumerARN: string;
  readonly ShardId: string;
  readonly StartingPosition: SubscriptionRecord['startingPosition'];
}

/** Connection-specific headers HTTP/2 forbids (RFC 9113 8.2.2). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'content-length']);

/** An awsJson1_1 error answer, as the service sends one before any event. */
function answerError(stream: ServerHttp2Stream, status: number, code: string, message: string): void {
  if (stream.headersSent || stream.closed) return;
  const body = Buffer.from(JSON.stringify({ __type: code, message }));
  stream.respond({ ':status': status, 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': code, 'content-length': String(body.length) });
  stream.end(body);
}
