import { Readable } from 'node:stream';
import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAnswer, withOwnAnswerParser } from '../src/put-records-answer.js';

/*
 * Recorded real answer shapes: the same PutRecords answer goes once through the SDK's own
 * deserializer and once through ours (withOwnAnswerParser, which sdkWritePort puts on every
 * PutRecords command), and what the caller and the client's own middleware get must be the
 * same: output, or error (class, name, message, fault, metadata). A middleware at the bottom of
 * the stack, where the HTTP handler would be, answers with the canned response, so no emulator
 * is involved: an emulator gives one answer shape, these are every shape the API documents
 * (successes, per-record failures, encryption, service errors) and some it does not. The
 * kinesis-local tests of sdkWritePort read real answers through the same parser.
 */

type BodyKind = 'buffer' | 'node-stream' | 'web-stream';

interface CannedAnswer {
  readonly statusCode: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
}

/** The body as the given HTTP handler would hand it over; streams in chunks of 7 bytes (splitting UTF-8 sequences). */
function bodyOf(text: string, kind: BodyKind): unknown {
  const bytes = Buffer.from(text, 'utf8');
  const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
  if (kind === 'buffer') return bytes;
  if (kind === 'node-stream') return Readable.from(chunks);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new Uint8Array(chunk));
      controller.close();
    },
  });
}

const INPUT: PutRecordsCommandInput = { StreamName: 'answer-test', Records: [{ Data: new Uint8Array([1]), PartitionKey: 'k' }] };

/**
 * What a caller gets for `answer`: the output or the error, what a middleware on the client's
 * initialize step saw, and (with our parser) whether ours read the answer: then the SDK's
 * deserializer is handed an empty object.
 */
async function send(answer: CannedAnswer, kind: BodyKind, own: boolean): Promise<{ outcome: unknown; seen: unknown; oursRead: boolean }> {
  const client = new KinesisClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
  let seen: unknown;
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      seen = structuredClone(result.output);
      return result;
    },
    { name: 'watchOutput', step: 'initialize' },
  );
  client.middlewareStack.add(
    () => async () => ({
      response: { statusCode: answer.statusCode, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'req-1', ...answer.headers }, body: bodyOf(answer.body, kind) },
    }),
    { name: 'cannedAnswer', step: 'deserialize', priority: 'low' },
  );
  const command = new PutRecordsCommand(INPUT);
  let oursRead = false;
  if (own) {
    withOwnAnswerParser(command);
    command.middlewareStack.addRelativeTo(
      ((next: (args: object) => Promise<{ response: { body?: unknown } }>) => async (args: object) => {
        const result = await next(args);
        oursRead = result.response.body instanceof Uint8Array && Buffer.from(result.response.body).toString() === '{}';
        return result;
      }) as Parameters<PutRecordsCommand['middlewareStack']['addRelativeTo']>[0],
      { name: 'watchSdkDeserializerInput', relation: 'before', toMiddleware: 'kinesisKitPutRecordsAnswer' },
    );
  }
  try {
    return { outcome: await client.send(command), seen, oursRead };
  } catch (error) {
    return { outcome: describeError(error), seen, oursRead };
  } finally {
    client.destroy();
  }
}

function describeError(error: unknown): unknown {
  const e = error as Error & { $fault?: unknown; $metadata?: unknown };
  return { class: e.constructor.name, name: e.name, message: e.message, fault: e.$fault, metadata: e.$metadata };
}

/** Sends `answer` both ways, expects the same outcome, and that our parser read it (or left it to the SDK) as `oursRead` says. */
async function expectSameAsSdk(answer: CannedAnswer, oursRead: boolean, kind: BodyKind = 'node-stream'): Promise<unknown> {
  const sdk = await send(answer, kind, false);
  const ours = await send(answer, kind, true);
  expect(ours.outcome).toStrictEqual(sdk.outcome);
  expect(ours.seen).toStrictEqual(sdk.seen);
  expect(ours.oursRead).toBe(oursRead);
  return ours.outcome;
}

const text = fc.string({ unit: 'binary', maxLength: 30 });
const entry = fc.oneof(
  fc.record({ ShardId: text, SequenceNumber: fc.bigInt({ min: 0n, max: 10n ** 56n }).map(String) }),
  fc.record({ ErrorCode: fc.constantFrom('ProvisionedThroughputExceededException', 'InternalFailure', 'KMSThrottlingException'), ErrorMessage: text }),
);
const answerBody = fc.record(
  { FailedRecordCount: fc.nat(500), Records: fc.array(entry, { maxLength: 20 }), EncryptionType: fc.constantFrom('NONE', 'KMS') },
  { requiredKeys: ['Records'] },
);

describe('PutRecords answers: recorded real answer shapes (the SDK deserializer vs ours)', () => {
  it('gives the same output for any 200 answer, whatever form the body comes in', async () => {
    await fc.assert(
      fc.asyncProperty(answerBody, fc.constantFrom<BodyKind>('buffer', 'node-stream', 'web-stream'), async (body, kind) => {
        const outcome = await expectSameAsSdk({ statusCode: 200, body: JSON.stringify(body) }, true, kind);
        expect((outcome as { Records: unknown[] }).Records).toHaveLength(body.Records.length);
      }),
      { numRuns: 120 },
    );
  });

  it('drops members the model does not have, as the SDK does', async () => {
    const body = '{"FailedRecordCount":0,"Records":[{"ShardId":"shardId-000000000001","SequenceNumber":"1","Extra":{"a":1}}],"Future":[1,2]}';
    const outcome = await expectSameAsSdk({ statusCode: 200, body }, true);
    expect(outcome).toMatchObject({ Records: [{ ShardId: 'shardId-000000000001', SequenceNumber: '1' }] });
  });

  it('leaves every service error to the SDK: the same class, name, message, fault and metadata', async () => {
    const errors: CannedAnswer[] = [
      { statusCode: 400, body: '{"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded for shard"}' },
      { statusCode: 400, headers: { 'x-amzn-errortype': 'ResourceNotFoundException:http://internal.amazon.com/' }, body: '{"message":"Stream answer-test not found"}' },
      { statusCode: 400, body: '{"__type":"com.amazonaws.kinesis#KMSThrottlingException","message":"slow down"}' },
      { statusCode: 500, body: '{"__type":"InternalFailure"}' },
      { statusCode: 503, body: '' },
    ];
    for (const answer of errors) {
      const outcome = await expectSameAsSdk(answer, false);
      expect(outcome).toMatchObject({ metadata: { httpStatusCode: answer.statusCode } });
    }
  });

  it('gives a 200 answer it cannot read to the SDK as it came (malformed JSON, wrong types, no Records)', async () => {
    for (const body of ['{"Records":[{"ShardId":1,"SequenceNumber":"2"}]}', '{"Records":{}}', '[]', ' {} ', '{"Records":[null]}', '{"FailedRecordCount":"0","Records":[]}', 'not json', '']) {
      await expectSameAsSdk({ statusCode: 200, body }, false);
    }
  });

  it('parses what a 200 answer carries and nothing it should not', () => {
    const bytes = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));
    expect(parseAnswer(bytes({ FailedRecordCount: 1, Records: [{ ShardId: 's', SequenceNumber: '1' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'm' }] }))).toStrictEqual({
      FailedRecordCount: 1,
      Records: [{ ShardId: 's', SequenceNumber: '1' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'm' }],
    });
    expect(parseAnswer(bytes({ Records: [], EncryptionType: 'KMS', $metadata: { forged: true } }))).toStrictEqual({ Records: [], EncryptionType: 'KMS' });
    expect(parseAnswer(bytes({ Records: [{ ShardId: null }] }))).toBeUndefined();
    expect(parseAnswer(Buffer.from('{"Records":['))).toBeUndefined();
  });
});
