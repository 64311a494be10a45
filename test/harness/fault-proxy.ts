import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { seededRandom } from './random.js';

/** What the proxy does to one request instead of (or on top of) forwarding it. */
export type Fault =
  /** Answer with an AWS JSON error, never reaching the emulator. */
  | { readonly kind: 'error'; readonly status: number; readonly code: string; readonly message?: string }
  /** Destroy the connection: `before` forwarding (nothing stored) or `after` (stored, answer lost). */
  | { readonly kind: 'reset'; readonly when: 'before' | 'after' }
  /** Wait, then forward. */
  | { readonly kind: 'delay'; readonly ms: number }
  /** PutRecords only: the records at these indices fail with `code` and are not forwarded. */
  | { readonly kind: 'partial'; readonly indices: readonly number[]; readonly code: string }
  /**
   * Black hole: the request is accepted and never answered (the connection stays open until the
   * client gives up or the proxy closes). `forward: true` stores it upstream first, so the write
   * happened but its answer is lost forever; the default drops it unseen.
   */
  | { readonly kind: 'blackHole'; readonly forward?: boolean }
  /**
   * Gone resource: the stream, shard, consumer or table no longer exists. Answered as the service
   * answers it (HTTP 400, ResourceNotFoundException, with the service's message shape).
   */
  | { readonly kind: 'gone'; readonly message?: string };

export interface RequestInfo {
  /** Operation name from X-Amz-Target, e.g. `PutRecords`, `UpdateItem`. */
  readonly operation: string;
  /** Parsed JSON body. */
  readonly body: Record<string, unknown>;
  /** 0-based count of requests the proxy has seen. */
  readonly index: number;
}

export type FaultPlan = (request: RequestInfo) => Fault | undefined;

export interface ProxyLogEntry {
  readonly operation: string;
  readonly fault?: Fault;
}

/**
 * A loopback HTTP proxy in front of an emulator that injects faults the emulators never
 * produce (throttling, partial PutRecords failures, 5xx, resets, slow answers, expired
 * iterators, conditional conflicts). Point an SDK client's endpoint at `endpoint`.
 */
export class FaultProxy {
  readonly log: ProxyLogEntry[] = [];
  /** Requests swallowed by a black hole and not yet given up by their client. */
  private readonly swallowed = new Set<http.ServerResponse>();
  private plan: FaultPlan;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  private constructor(
    private readonly server: http.Server,
    private readonly upstream: URL,
    plan: FaultPlan,
  ) {
    this.plan = plan;
  }

  static async start(upstream: string, plan: FaultPlan = () => undefined): Promise<FaultProxy> {
    const server = http.createServer();
    const proxy = new FaultProxy(server, new URL(upstream), plan);
    server.on('request', (request, response) => {
      proxy.handle(request, response).catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  setPlan(plan: FaultPlan): void {
    this.plan = plan;
  }

  /** Requests of an operation seen so far, optionally only those that got a fault of `kind`. */
  count(operation: string, kind?: Fault['kind']): number {
    return this.log.filter((e) => e.operation === operation && (kind === undefined || e.fault?.kind === kind)).length;
  }

  /** Requests currently held open by a black hole (their clients have not given up yet). */
  get blackHoled(): number {
    return this.swallowed.size;
  }

  async close(): Promise<void> {
    for (const response of this.swallowed) response.destroy();
    this.swallowed.clear();
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const raw = await readBody(request);
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    const body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
    const fault = this.plan({ operation, body, index: this.log.length });
    this.log.push(fault === undefined ? { operation } : { operation, fault });

    switch (fault?.kind) {
      case 'error':
        return sendJson(request, response, fault.status, { __type: fault.code, message: fault.message ?? `injected ${fault.code}` }, fault.code);
      case 'reset':
        if (fault.when === 'after') await this.forward(request, raw);
        request.socket.destroy();
        return;
      case 'delay':
        await delay(fault.ms);
        break;
      case 'partial':
        return this.partialPutRecords(request, response, body, fault);
      case 'blackHole':
        if (fault.forward === true) await this.forward(request, raw);
        this.swallowed.add(response);
        response.on('close', () => this.swallowed.delete(response));
        return;
      case 'gone':
        return sendJson(request, response, 400, { __type: 'ResourceNotFoundException', message: fault.message ?? goneMessage(operation, body) }, 'ResourceNotFoundException');
    }
    const upstream = await this.forward(request, raw);
    response.writeHead(upstream.status, upstream.headers);
    response.end(upstream.body);
  }

  private async partialPutRecords(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    body: Record<string, unknown>,
    fault: Extract<Fault, { kind: 'partial' }>,
  ): Promise<void> {
    const records = (body.Records ?? []) as unknown[];
    const failing = new Set(fault.indices.filter((i) => i >= 0 && i < records.length));
    const kept = records.filter((_, i) => !failing.has(i));
    let results: Record<string, unknown>[] = [];
    if (kept.length > 0) {
      const upstream = await this.forward(request, Buffer.from(JSON.stringify({ ...body, Records: kept })));
      const parsed = JSON.parse(upstream.body.toString('utf8')) as { Records?: Record<string, unknown>[] };
      if (upstream.status !== 200) {
        response.writeHead(upstream.status, upstream.headers);
        return void response.end(upstream.body);
      }
      results = parsed.Records ?? [];
    }
    const merged = records.map((_, i) =>
      failing.has(i) ? { ErrorCode: fault.code, ErrorMessage: `injected ${fault.code}` } : results.shift(),
    );
    sendJson(request, response, 200, {
      FailedRecordCount: merged.filter((r) => typeof r?.ErrorCode === 'string').length,
      Records: merged,
    });
  }

  private forward(request: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    const headers = { ...request.headers, host: this.upstream.host, 'content-length': String(body.length) };
    return new Promise((resolve, reject) => {
      const upstream = http.request(
        { host: this.upstream.hostname, port: this.upstream.port, method: request.method, path: request.url, headers, agent: this.agent },
        (answer) => {
          readBody(answer).then(
            (data) => resolve({ status: answer.statusCode ?? 502, headers: { ...answer.headers, 'content-length': String(data.length) }, body: data }),
            reject,
          );
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}

/** The message the real service gives for a resource that no longer exists. */
function goneMessage(operation: string, body: Record<string, unknown>): string {
  if (typeof body.TableName === 'string') return 'Requested resource not found';
  const stream = typeof body.StreamName === 'string' ? body.StreamName : typeof body.StreamARN === 'string' ? body.StreamARN : 'stream';
  if (typeof body.ShardId === 'string') return `Shard ${body.ShardId} in stream ${stream} under account 000000000000 does not exist`;
  return `${operation}: Stream ${stream} under account 000000000000 not found.`;
}

function readBody(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function sendJson(request: http.IncomingMessage, response: http.ServerResponse, status: number, payload: unknown, errorType?: string): void {
  const data = Buffer.from(JSON.stringify(payload));
  response.writeHead(status, {
    'content-type': request.headers['content-type'] ?? 'application/x-amz-json-1.1',
    'content-length': String(data.length),
    ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }),
  });
  response.end(data);
}

export interface RandomFaultRule {
  /** Operation the rule applies to (e.g. `PutRecords`), or `*` for every operation. */
  readonly operation: string;
  /** Chance in [0, 1] that a matching request gets this fault. */
  readonly probability: number;
  /** The fault, or a factory given the request and the seeded random source. */
  readonly fault: Fault | ((request: RequestInfo, random: () => number) => Fault);
}

/**
 * A fault plan drawn from a seeded random source: the first rule (in order) whose operation
 * matches and whose draw succeeds applies. Same seed, same sequence of decisions.
 */
export function randomFaults(seed: number, rules: readonly RandomFaultRule[]): FaultPlan {
  const random = seededRandom(seed);
  return (request) => {
    for (const rule of rules) {
      if (rule.operation !== '*' && rule.operation !== request.operation) continue;
      if (random() >= rule.probability) continue;
      return typeof rule.fault === 'function' ? rule.fault(request, random) : rule.fault;
    }
    return undefined;
  };
}

/** A `partial` fault that fails each PutRecords entry with probability `rate`. */
export function partialFailure(rate: number, code = 'ProvisionedThroughputExceededException') {
  return (request: RequestInfo, random: () => number): Fault => {
    const count = ((request.body.Records ?? []) as unknown[]).length;
    const indices = Array.from({ length: count }, (_, i) => i).filter(() => random() < rate);
    return { kind: 'partial', indices, code };
  };
}
