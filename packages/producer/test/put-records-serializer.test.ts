import { KinesisClient, PutRecordsCommand, type KinesisClientConfig, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import type { OuterRecord } from '@kinesis-kit/aggregation';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sdkWritePort, type StreamTarget } from '../src/index.js';
import { withOwnSerializer } from '../src/put-records-serializer.js';

/*
 * Recorded real request shape: the same PutRecords input goes once through the SDK's own
 * serializer (client.send(new PutRecordsCommand(...))) and once through sdkWritePort, whose
 * command carries our serializer, on one client. A middleware at the bottom of the stack (after
 * signing, where the HTTP handler would take over) records the request each would send and
 * answers a canned success, so nothing leaves the process and no emulator is involved: what is
 * compared is the request itself, signature included, which an emulator would not check.
 * Fixed credentials, a fixed clock (only Date is faked) and a fixed invocation id (the retry
 * middleware's random UUID, which is signed) make the two signatures comparable.
 */

const ACCOUNT = '123456789012';
const ARN = `arn:aws:kinesis:eu-west-1:${ACCOUNT}:stream/serde-test`;

interface SentRequest {
  readonly method: string;
  readonly protocol: string;
  readonly hostname: string;
  readonly port?: number;
  readonly path: string;
  readonly query: Record<string, unknown>;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
  readonly fragment?: string;
  readonly username?: string;
  readonly password?: string;
}

/** The body's text; Buffer.from(body) would go through valueOf, which the SDK's body type warns about. */
function text(body: Uint8Array): string {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}

/** A client whose requests are recorded, signed at a fixed time, and answered with success. */
function recordingClient(config: KinesisClientConfig = {}): { client: KinesisClient; sent: SentRequest[]; builtBy: string[] } {
  const client = new KinesisClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1, ...config });
  const sent: SentRequest[] = [];
  // Which serializer built each request (the class of the request the serialize step made).
  const builtBy: string[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as SentRequest & { clone(): SentRequest };
      builtBy.push(request.constructor.name);
      // Custom middleware may copy the request before signing: the copy is equal and apart (the body shared, as the SDK's clone shares it).
      const copy = request.clone();
      expect(copy === request).toBe(false);
      expect(copy.headers === request.headers).toBe(false);
      expect(shape(copy)).toStrictEqual(shape(request));
      expect(copy.body).toBe(request.body);
      return next(args);
    },
    { name: 'recordSerializer', step: 'build', priority: 'low' },
  );
  const pinInvocationId =
    <A extends { request: unknown }, R>(next: (args: A) => Promise<R>) =>
    async (args: A): Promise<R> => {
      (args.request as { headers: Record<string, string> }).headers['amz-sdk-invocation-id'] = '00000000-0000-4000-8000-000000000000';
      return next(args);
    };
  client.middlewareStack.addRelativeTo(
    pinInvocationId,
    { name: 'fixedInvocationId', relation: 'before', toMiddleware: 'httpSigningMiddleware' },
  );
  client.middlewareStack.add(
    () => async (args) => {
      const request = args.request as SentRequest;
      sent.push(request);
      const count = (JSON.parse(text(request.body)) as { Records?: unknown[] }).Records?.length ?? 0;
      const answer = { FailedRecordCount: 0, Records: Array.from({ length: count }, (_, i) => ({ ShardId: 'shardId-000000000000', SequenceNumber: String(i + 1) })) };
      const body = Buffer.from(JSON.stringify(answer));
      return { response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'r' }, body } };
    },
    { name: 'recordAndAnswer', step: 'deserialize', priority: 'low' },
  );
  return { client, sent, builtBy };
}

/** The request the SDK's serializer builds for `records`, and the one sdkWritePort's builds. */
async function bothRequests(records: readonly OuterRecord[], target: StreamTarget, config?: KinesisClientConfig): Promise<[SentRequest, SentRequest]> {
  const { client, sent, builtBy } = recordingClient(config);
  const stream = target.streamARN === undefined ? { StreamName: target.streamName } : { StreamARN: target.streamARN };
  const input: PutRecordsCommandInput = {
    ...stream,
    Records: records.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey, ExplicitHashKey: r.explicitHashKey })),
  };
  await client.send(new PutRecordsCommand(input));
  const results = await sdkWritePort(client, target).putRecords(records, new AbortController().signal);
  expect(results).toHaveLength(records.length);
  client.destroy();
  expect(sent).toHaveLength(2);
  expect(builtBy).toEqual(['HttpRequest', 'PutRecordsHttpRequest']);
  return [sent[0]!, sent[1]!];
}

function shape(request: SentRequest): Omit<SentRequest, 'body'> {
  const { method, protocol, hostname, port, path, query, headers, fragment, username, password } = request;
  return { method, protocol, hostname, port, path, query, headers, fragment, username, password };
}

function expectSameRequest(sdk: SentRequest, ours: SentRequest): void {
  expect(shape(ours)).toEqual(shape(sdk));
  expect(text(ours.body)).toBe(text(sdk.body));
  expect(JSON.parse(text(ours.body))).toEqual(JSON.parse(text(sdk.body)));
  expect(ours.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20240229\/eu-west-1\/kinesis\/aws4_request, SignedHeaders=.+, Signature=[0-9a-f]{64}$/);
}

/** Partition key characters that JSON must escape or encode in more than one byte, and plain ones. */
const keyChar = fc.oneof(
  fc.constantFrom('"', '\\', '/', '\u0000', '\b', '\t', '\n', '\f', '\r', '\u001f', '\u007f', '\u2028', '\u2029', 'é', '€', '😀', '\ud800', '\udfff', '\udbff\udc00'),
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  fc.constantFrom('a', 'Z', '0', '-', ' '),
);
const partitionKey = fc.array(keyChar, { minLength: 1, maxLength: 20 }).map((chars) => chars.join(''));
const explicitHashKey = fc.option(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map(String), { nil: undefined });
/** Data as its own array or as a view into a larger one (the producer's aggregates are views). */
const data = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 60 }), fc.nat(), fc.nat()).map(([bytes, a, b]) => {
    const start = a % bytes.length;
    return bytes.subarray(start, start + (b % (bytes.length - start + 1)));
  }),
);
const record: fc.Arbitrary<OuterRecord> = fc.record({ partitionKey, data, explicitHashKey }).map((r) =>
  r.explicitHashKey === undefined ? { partitionKey: r.partitionKey, data: r.data } : r,
);
const target: fc.Arbitrary<StreamTarget> = fc.oneof(
  fc.constant({ streamName: 'serde-test' }),
  fc.constant({ streamName: 'a"b\\c' }),
  fc.constant({ streamARN: ARN }),
);

describe('PutRecords serializer: recorded real request shape (the SDK serializer vs ours)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2024-02-29T12:34:56Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('builds the same signed request for any records, by stream name or ARN', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 12 }), target, async (records, to) => {
        const [sdk, ours] = await bothRequests(records, to);
        expectSameRequest(sdk, ours);
      }),
      { numRuns: 150 },
    );
  });

  it('sends a StreamARN request to the account endpoint, signed alike', async () => {
    const [sdk, ours] = await bothRequests([{ partitionKey: 'k', data: new Uint8Array([1, 2, 3]) }], { streamARN: ARN });
    expect(ours.hostname).toBe(`${ACCOUNT}.data-kinesis.eu-west-1.amazonaws.com`);
    expectSameRequest(sdk, ours);
  });

  it('builds the same request for 500 records with and without explicit hash keys', async () => {
    const records: OuterRecord[] = Array.from({ length: 500 }, (_, i) => ({
      partitionKey: `key-${i}-\u00e9\u{1f600}`,
      data: new Uint8Array(i % 7 === 0 ? 0 : 100 + i).fill(i & 0xff),
      ...(i % 2 === 0 ? { explicitHashKey: String((1n << 127n) + BigInt(i)) } : {}),
    }));
    const [sdk, ours] = await bothRequests(records, { streamName: 'serde-test' });
    expectSameRequest(sdk, ours);
  });

  it('builds the same request for empty data and a view into a larger buffer', async () => {
    const backing = new Uint8Array(64).map((_, i) => i);
    const records: OuterRecord[] = [
      { partitionKey: 'empty', data: new Uint8Array(0) },
      { partitionKey: 'view', data: backing.subarray(5, 22) },
      { partitionKey: 'node-buffer', data: Buffer.from('hello') },
    ];
    const [sdk, ours] = await bothRequests(records, { streamName: 'serde-test' });
    expectSameRequest(sdk, ours);
    expect(JSON.parse(text(ours.body))).toMatchObject({ Records: [{ Data: '' }, { Data: Buffer.from(backing.subarray(5, 22)).toString('base64') }, {}] });
  });

  it('uses a custom endpoint the same way: port, base path, the query dropped as the SDK drops it', async () => {
    for (const endpoint of ['http://127.0.0.1:4567', 'http://localhost:8080/base/path', 'https://kinesis.example.com/p/?x=1&y', 'http://[::1]:4567/']) {
      const [sdk, ours] = await bothRequests([{ partitionKey: 'k', data: new Uint8Array([9]) }], { streamName: 'serde-test' }, { endpoint });
      expectSameRequest(sdk, ours);
    }
  });

  it("adds the endpoint's headers as the SDK does", async () => {
    const endpointProvider = (): { url: URL; headers: Record<string, string[]> } => ({
      url: new URL('https://kinesis.example.com/'),
      headers: { 'X-Routing': ['a', 'b'], 'x-single': ['c'] },
    });
    const [sdk, ours] = await bothRequests([{ partitionKey: 'k', data: new Uint8Array([9]) }], { streamName: 'serde-test' }, { endpointProvider } as KinesisClientConfig);
    expect(ours.headers['x-routing']).toBe('a, b');
    expectSameRequest(sdk, ours);
  });

  it('serialises members sdkWritePort never sets as the SDK does (absent Data or PartitionKey, StreamId, DryRun, no Records)', async () => {
    const inputs: PutRecordsCommandInput[] = [
      { StreamName: 'serde-test', Records: [{ Data: undefined, PartitionKey: 'k' }], DryRun: true },
      { StreamARN: ARN, StreamId: 'id-1', Records: [{ Data: new Uint8Array([1]), ExplicitHashKey: '5' }], DryRun: false },
      { StreamName: 'serde-test', Records: [] },
      { StreamName: 'serde-test', Records: undefined },
    ];
    for (const input of inputs) {
      const { client, sent, builtBy } = recordingClient();
      await client.send(new PutRecordsCommand(input));
      const ours = new PutRecordsCommand(input);
      withOwnSerializer(ours);
      await client.send(ours);
      client.destroy();
      expect(builtBy).toEqual(['HttpRequest', 'PutRecordsHttpRequest']);
      expectSameRequest(sent[0]!, sent[1]!);
    }
  });
});
