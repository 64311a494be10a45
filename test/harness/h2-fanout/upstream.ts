import http from 'node:http';
import { buffer } from 'node:stream/consumers';

export interface UpstreamAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * kinesis-local's plain HTTP/1.1 port, as seen by the HTTP/2 peer: requests are passed on with
 * the client's own headers (its Authorization names the account kinesis-local files them under;
 * kinesis-local does not check signatures).
 */
export class Upstream {
  readonly #url: URL;
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(endpoint: string) {
    this.#url = new URL(endpoint);
  }

  /** Sends `body` with `headers` (HTTP/2 pseudo-headers and hop-by-hop headers removed). */
  forward(headers: http.OutgoingHttpHeaders, body: Buffer): Promise<UpstreamAnswer> {
    const plain = Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith(':') && name !== 'connection'));
    const sent = { ...plain, host: this.#url.host, 'content-length': String(body.length) };
    return new Promise((resolve, reject) => {
      const request = http.request({ host: this.#url.hostname, port: this.#url.port, method: 'POST', path: '/', headers: sent, agent: this.#agent }, (answer) => {
        buffer(answer).then((data) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: data }), reject);
      });
      request.on('error', reject);
      request.end(body);
    });
  }

  /**
   * One Kinesis call in awsJson1_1, in the account of a client's request: `credentials` are its
   * authorization and x-amz-date headers. The parsed answer, or throws with the AWS error name.
   */
  async call<T>(operation: string, input: Record<string, unknown>, credentials: ClientCredentials): Promise<T> {
    const headers = { ...credentials, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Kinesis_20131202.${operation}` };
    const answer = await this.forward(headers, Buffer.from(JSON.stringify(input)));
    const parsed = (answer.body.length > 0 ? JSON.parse(answer.body.toString('utf8')) : {}) as Record<string, unknown>;
    if (answer.status === 200) return parsed as T;
    const type = String(parsed.__type ?? 'InternalFailure');
    throw new UpstreamError(type.slice(type.lastIndexOf('#') + 1), String(parsed.message ?? parsed.Message ?? ''), answer.status);
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** The headers that place a request in a kinesis-local account. */
export interface ClientCredentials {
  readonly authorization: string;
  readonly 'x-amz-date': string;
}

/** An error answer of kinesis-local, by AWS error name. */
export class UpstreamError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(`${code}: ${message}`);
    this.name = code;
  }
}
