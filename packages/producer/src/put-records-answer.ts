import type { PutRecordsCommand } from '@aws-sdk/client-kinesis';

/*
 * PutRecords answer parsing of our own for the common case, a 200 answer, in place of the SDK's
 * schema JSON codec (its struct walk over every entry of every answer was about 9 % of the CPU
 * of unaggregated producing, 500 entries an answer). Everything else stays the SDK's: status
 * codes other than 200 (every service error, throttling included), bodies we cannot read, and
 * the output's $metadata. awsJson1_1 names output members as the model does, so the parsed
 * JSON of a 200 answer already has the output's shape: {FailedRecordCount, Records: [{ShardId,
 * SequenceNumber} | {ErrorCode, ErrorMessage}], EncryptionType}.
 *
 * Two middlewares around the SDK's deserializer, per command:
 * - inside it (next to the HTTP handler), a 200 answer is read and parsed here; the SDK's
 *   deserializer is then handed an empty JSON object, which it turns into the output's
 *   $metadata at almost no cost;
 * - outside it, the parsed members are put on the SDK's output, and the answer's bytes back on
 *   the response. Middleware outside the deserializer (every step but deserialize) sees the
 *   same output as with the SDK's codec; test/put-records-answer.test.ts compares the two.
 * An answer that is not a JSON object with a Records array of entries whose members are strings
 * (and a numeric FailedRecordCount) is given to the SDK's deserializer as it came.
 */

/** The members of a PutRecords output that the answer's JSON carries. */
interface ParsedAnswer {
  readonly FailedRecordCount?: number;
  readonly Records: readonly Record<string, string>[];
  readonly EncryptionType?: string;
}

interface ResponseLike {
  statusCode?: number;
  body?: unknown;
}

const ENTRY_MEMBERS = ['ShardId', 'SequenceNumber', 'ErrorCode', 'ErrorMessage'] as const;

/** A deserialize-step handler as these middlewares see it (the SDK's types are not a dependency of this package). */
type Handler = (args: object) => Promise<{ response: unknown; output: object }>;
type Middleware = Parameters<PutRecordsCommand['middlewareStack']['addRelativeTo']>[0];

/** What the inner middleware parsed, for the outer one to put on the output. */
interface Parsed {
  readonly answer: ParsedAnswer;
  readonly bytes: Uint8Array;
}

/** Reads 200 PutRecords answers for one command ourselves (see above). */
export function withOwnAnswerParser(command: PutRecordsCommand): void {
  // One attempt at a time goes through a command's stack; each retry parses its own answer.
  let parsed: Parsed | undefined;
  const inside = (next: Handler) => async (args: object) => {
    parsed = undefined;
    const result = await next(args);
    parsed = await takeAnswer(result.response as ResponseLike | undefined);
    return result;
  };
  const outside = (next: Handler) => async (args: object) => {
    const result = await next(args);
    const own = parsed;
    parsed = undefined;
    if (own !== undefined) putOnOutput(own, result.output as Record<string, unknown>, result.response as ResponseLike);
    return result;
  };
  const stack = command.middlewareStack;
  stack.addRelativeTo(inside as Middleware, { name: 'kinesisKitPutRecordsAnswer', relation: 'after', toMiddleware: 'deserializerMiddleware' });
  stack.addRelativeTo(outside as Middleware, { name: 'kinesisKitPutRecordsOutput', relation: 'before', toMiddleware: 'deserializerMiddleware' });
}

/**
 * Parses a 200 answer, leaving the SDK's deserializer an empty object; anything else, or an
 * answer it cannot use, is left to the SDK (with the body read back in as bytes if it was read).
 */
async function takeAnswer(response: ResponseLike | undefined): Promise<Parsed | undefined> {
  if (response?.statusCode !== 200) return undefined;
  const bytes = await bodyBytes(response.body);
  if (bytes === undefined) return undefined;
  const answer = parseAnswer(bytes);
  response.body = answer === undefined ? bytes : Buffer.from('{}');
  return answer === undefined ? undefined : { answer, bytes };
}

/** Puts the parsed members on the SDK's output (which holds $metadata), and the answer's bytes back on the response. */
function putOnOutput({ answer, bytes }: Parsed, output: Record<string, unknown>, response: ResponseLike): void {
  output.Records = answer.Records;
  if (answer.FailedRecordCount !== undefined) output.FailedRecordCount = answer.FailedRecordCount;
  if (answer.EncryptionType !== undefined) output.EncryptionType = answer.EncryptionType;
  response.body = bytes;
}

/** The answer's bytes: a Node stream (NodeHttpHandler), a web stream (FetchHttpHandler) or bytes; undefined for anything else (left to the SDK). */
async function bodyBytes(body: unknown): Promise<Uint8Array | undefined> {
  if (body instanceof Uint8Array) return body;
  if (typeof body !== 'object' || body === null || !(Symbol.asyncIterator in body)) return undefined;
  const chunks: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<unknown>) {
    if (chunk instanceof Uint8Array) chunks.push(chunk);
    else if (typeof chunk === 'string') chunks.push(Buffer.from(chunk, 'utf8'));
    else throw new TypeError('PutRecords answer body yielded a chunk that is neither bytes nor text');
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** The answer's output members, or undefined when it is not what a PutRecords answer is. */
export function parseAnswer(bytes: Uint8Array): ParsedAnswer | undefined {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const { FailedRecordCount, Records, EncryptionType } = json as Record<string, unknown>;
  if (FailedRecordCount !== undefined && typeof FailedRecordCount !== 'number') return undefined;
  if (EncryptionType !== undefined && typeof EncryptionType !== 'string') return undefined;
  if (!Array.isArray(Records)) return undefined;
  // The parsed array is ours: entries are checked, and cleaned only if they carry more than the model's members.
  for (let i = 0; i < Records.length; i++) {
    const entry = outputEntry(Records[i]);
    if (entry === undefined) return undefined;
    Records[i] = entry;
  }
  return {
    Records: Records as Record<string, string>[],
    ...(FailedRecordCount === undefined ? {} : { FailedRecordCount }),
    ...(EncryptionType === undefined ? {} : { EncryptionType }),
  };
}

const MODELLED = new Set<string>(ENTRY_MEMBERS);

/**
 * The entry as the output holds it: itself when its members are the model's and strings; a copy
 * of those members when it has others (the SDK's deserializer drops them); undefined when a
 * modelled member is not a string.
 */
function outputEntry(entry: unknown): Record<string, string> | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return undefined;
  let others = false;
  for (const name in entry) {
    const value = (entry as Record<string, unknown>)[name];
    if (!MODELLED.has(name)) others = true;
    else if (typeof value !== 'string') return undefined;
  }
  if (!others) return entry as Record<string, string>;
  const out: Record<string, string> = {};
  for (const name of ENTRY_MEMBERS) {
    const value = (entry as Record<string, unknown>)[name];
    if (value !== undefined) out[name] = value as string;
  }
  return out;
}
