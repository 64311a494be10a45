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

declare function parseOrder(record: KinesisUserRecord): { customerId: string; amount: number; currency: string } | undefined;
declare function toEuroCents(amount: number, currency: string): Promise<number>; // a rate lookup that can fail
declare const reports: { putWindow(start: string, end: string, totals: Totals): Promise<void> }; // idempotent

export const handler: KinesisStreamTumblingWindowHandler = kinesisWindowHandler<Totals>(
  async (records, window: TumblingWindow<Totals>): Promise<WindowResult<Totals>> => {
    // `state` covers whole Kinesis records only. Lambda resumes a failure at the failed
    // record's parent Kinesis record (the whole aggregate), so that is the state to return.
    let state = window.state;
    let pending = state;
    for (const [index, record] of records.entries()) {
      const order = parseOrder(record); // undefined: not an order, skipped (never retried)
      if (order !== undefined) {
        try {
          const cents = await toEuroCents(order.amount, order.currency);
          pending = { ...pending, [order.customerId]: (pending[order.customerId] ?? 0) + cents };
        } catch (error) {
          return { state, failures: [{ record, error }] };
        }
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
