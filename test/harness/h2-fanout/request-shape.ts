import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http2';

/**
 * What every Kinesis request from the SDK looks like over HTTP/2 (recorded from
 * @aws-sdk/client-kinesis 3.1143 with its default NodeHttp2Handler), checked by the peer on
 * every request: a request the service would not take is refused and remembered, so a test
 * that passes has only sent requests of this shape.
 *
 *   :method POST, :path /, :scheme https, :authority 127.0.0.1:<port> (no host header)
 *   content-type:         application/x-amz-json-1.1
 *   x-amz-target:         Kinesis_20131202.<Operation>
 *   x-amz-date:           yyyymmddThhmmssZ
 *   x-amz-content-sha256: hex SHA-256 of the body
 *   authorization:        AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/kinesis/aws4_request,
 *     SignedHeaders=:authority;amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;
 *     x-amz-content-sha256;x-amz-date;x-amz-target;x-amz-user-agent, Signature=<64 hex>
 * Over HTTP/2 the SDK signs `:authority` where HTTP/1.1 signs `host`.
 */
const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/kinesis\/aws4_request, SignedHeaders=([a-z0-9;:-]+), Signature=[0-9a-f]{64}$/;
const SIGNED_AT_LEAST = [':authority', 'content-type', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-target'];
const TARGET = /^Kinesis_20131202\.([A-Za-z]+)$/;

/** The operation, or why the request is not what the SDK sends to Kinesis. */
export function checkRequestShape(headers: IncomingHttpHeaders, body: Buffer): { operation: string } | { problem: string } {
  if (headers[':method'] !== 'POST') return { problem: `method ${String(headers[':method'])}` };
  if (headers[':path'] !== '/') return { problem: `path ${String(headers[':path'])}` };
  if (headers[':scheme'] !== 'https') return { problem: `scheme ${String(headers[':scheme'])}` };
  if (headers.host !== undefined) return { problem: 'a host header (HTTP/2 requests carry :authority)' };
  if (headers['content-type'] !== 'application/x-amz-json-1.1') return { problem: `content-type ${String(headers['content-type'])}` };
  const target = TARGET.exec(String(headers['x-amz-target'] ?? ''));
  if (target?.[1] === undefined) return { problem: `x-amz-target ${String(headers['x-amz-target'])}` };
  if (!/^\d{8}T\d{6}Z$/.test(String(headers['x-amz-date'] ?? ''))) return { problem: `x-amz-date ${String(headers['x-amz-date'])}` };
  const auth = AUTHORIZATION.exec(String(headers.authorization ?? ''));
  if (auth === null) return { problem: `authorization ${String(headers.authorization)}` };
  const signed = (auth[4] ?? '').split(';');
  const unsigned = SIGNED_AT_LEAST.filter((name) => !signed.includes(name));
  if (unsigned.length > 0) return { problem: `headers not signed: ${unsigned.join(', ')}` };
  if (auth[2] !== String(headers['x-amz-date']).slice(0, 8)) return { problem: 'credential scope date differs from x-amz-date' };
  if (headers['x-amz-content-sha256'] !== createHash('sha256').update(body).digest('hex')) return { problem: 'x-amz-content-sha256 is not the SHA-256 of the body' };
  return { operation: target[1] };
}
