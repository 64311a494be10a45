// Type-level proof that this package's structural Lambda types and @types/aws-lambda's are
// interchangeable where it matters. Never executed: `npm test` type-checks it (tsconfig.test.json)
// and requires zero diagnostics, so every line below is an assertion, and each expected-error
// directive must meet an error.
import type {
  Context,
  KinesisStreamBatchResponse as AwsKinesisStreamBatchResponse,
  KinesisStreamEvent as AwsKinesisStreamEvent,
  KinesisStreamHandler,
  KinesisStreamRecord as AwsKinesisStreamRecord,
  KinesisStreamTumblingWindowEvent,
  KinesisStreamTumblingWindowHandler,
} from 'aws-lambda';
import { deaggregateEvent, kinesisHandler, kinesisWindowHandler } from '../../src/index.js';
import type {
  BatchResult,
  KinesisLambdaHandler,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
  KinesisStreamTumblingWindowEvent as OurTumblingWindowEvent,
  KinesisUserRecord,
  LambdaContext,
} from '../../src/index.js';

// What Lambda hands in is accepted as ours.
export const eventIn = (event: AwsKinesisStreamEvent): KinesisStreamEvent => event;
export const tumblingWindowEventIn = (event: KinesisStreamTumblingWindowEvent): KinesisStreamEvent => event;
export const recordIn = (record: AwsKinesisStreamRecord): KinesisStreamRecord => record;
export const contextIn = (context: Context): LambdaContext => context;
export const deaggregateAwsEvent = (event: AwsKinesisStreamEvent): KinesisUserRecord[] => deaggregateEvent(event);

// What we hand back is accepted where Lambda's types are expected.
export const responseOut = (response: KinesisStreamBatchResponse): AwsKinesisStreamBatchResponse => response;
export const parentOut = (record: KinesisUserRecord): AwsKinesisStreamRecord => record.parent;

// The wrapper is a KinesisStreamHandler, in both modes.
export const recordModeHandler: KinesisStreamHandler = kinesisHandler(async (record) => {
  record.data.readUInt8(0);
}, { reportBatchItemFailures: true });
export const batchModeHandler: KinesisStreamHandler = kinesisHandler(
  async (records): Promise<BatchResult> => ({ failures: records.slice(0, 1).map((record) => ({ record })) }),
  { mode: 'batch', reportBatchItemFailures: true },
);
// The window handler is a KinesisStreamTumblingWindowHandler, with an interface as its state.
interface Totals {
  readonly orders: number;
  readonly amountCents: number;
}
export const windowEventIn = (event: KinesisStreamTumblingWindowEvent): OurTumblingWindowEvent => event;
export const windowHandler: KinesisStreamTumblingWindowHandler = kinesisWindowHandler<Totals>(
  (records, window) => ({ state: { ...window.state, orders: window.state.orders + records.length } }),
  { reportBatchItemFailures: true, initialState: () => ({ orders: 0, amountCents: 0 }) },
);
// @ts-expect-error a window function must return a state
kinesisWindowHandler<Totals>(() => ({ failures: [] }), { reportBatchItemFailures: true, initialState: () => ({ orders: 0, amountCents: 0 }) });

// Annotating the context parameter with Lambda's Context carries it through.
export const fullContextHandler: KinesisLambdaHandler<Context> = kinesisHandler(
  (_record, context: Context) => context.functionVersion,
  { reportBatchItemFailures: false },
);
export const fullContextIsAHandler: KinesisStreamHandler = fullContextHandler;

// Optional members are really optional: absent explicit hash key is `undefined`, not a string.
export const explicitHashKey = (record: KinesisUserRecord): string | undefined => record.explicitHashKey;

// And what must not compile does not.
export const notAKinesisRecord = (record: AwsKinesisStreamRecord): KinesisStreamRecord => ({
  ...record,
  // @ts-expect-error the kinesis payload is required
  kinesis: undefined,
});
// @ts-expect-error reportBatchItemFailures is required: it must match the event source mapping
kinesisHandler(() => undefined, {});
// @ts-expect-error a batch function needs mode: 'batch'
kinesisHandler((records: readonly KinesisUserRecord[]) => records.length, { reportBatchItemFailures: true });
// @ts-expect-error a batch function must return nothing or a BatchResult
kinesisHandler(() => 'done', { mode: 'batch', reportBatchItemFailures: true });
