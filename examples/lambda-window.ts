// A Lambda function with a tumbling window on a Kinesis stream written by the KPL (or our
// producer): order totals per customer for each 5-minute window, written out once per window.
//
// The event source mapping sets the window, e.g. in SAM:
//
//   Events:
//     Orders:
//       Type: Kinesis
//       Properties:
//         Stream: !GetAtt OrdersStream.Arn
//         StartingPosition: TRIM_HORIZON
//         TumblingWindowInSeconds: 300
//         FunctionResponseTypes: [ReportBatchItemFailures]
import type { KinesisStreamTumblingWindowHandler } from 'aws-lambda';
import { kinesisWindowHandler } from '@kinesis-kit/lambda';
import type { KinesisUserRecord, TumblingWindow, WindowResult } from '@kinesis-kit/lambda';

/** The window state: plain JSON (Lambda stores it between invocations), at most 1 MB. */
interface Totals {
  readonly [customerId: string]: number;
}

declare function parseOrder(record: KinesisUserRecord): { customerId: string; amountCents: number } | undefined;
declare const reports: { putWindow(start: string, end: string, totals: Totals): Promise<void> }; // idempotent

export const handler: KinesisStreamTumblingWindowHandler = kinesisWindowHandler<Totals>(
  async (records, window: TumblingWindow<Totals>): Promise<WindowResult<Totals>> => {
    // `state` is committed at the end of each Kinesis record only: if a member of an aggregate
    // fails, the state returned is the one from before the aggregate, where Lambda resumes.
    let state = window.state;
    let pending = state;
    for (const [index, record] of records.entries()) {
      const order = parseOrder(record);
      if (order !== undefined) {
        pending = { ...pending, [order.customerId]: (pending[order.customerId] ?? 0) + order.amountCents };
      }
      if (records[index + 1]?.sequenceNumber !== record.sequenceNumber) state = pending;
    }
    if (window.isFinalInvokeForWindow) {
      // A throw here fails the invocation; Lambda retries it with the same state and holds the
      // shard until it succeeds, so the window is written at least once.
      await reports.putWindow(window.start, window.end, state);
    }
    return { state };
  },
  { reportBatchItemFailures: true, initialState: () => ({}) },
);
