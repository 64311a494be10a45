// What the demo's producer writes in each record, and what consumer workers report to the
// parent over IPC. Payloads are never printed: only counts and timings leave the program.

/** The record body: run id, partition key index, per-key sequence number, put time (epoch ms). */
export interface Payload {
  readonly r: string;
  readonly k: number;
  readonly s: number;
  readonly t: number;
}

export function encodePayload(payload: Payload): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(payload));
}

/** The payload, or undefined for a record this run did not write (another run, another producer). */
export function decodePayload(data: Uint8Array, runId: string): Payload | undefined {
  try {
    const payload = JSON.parse(new TextDecoder().decode(data)) as Partial<Payload> | null;
    return payload?.r === runId && typeof payload.k === 'number' && typeof payload.s === 'number' && typeof payload.t === 'number'
      ? (payload as Payload)
      : undefined;
  } catch {
    return undefined;
  }
}

/** One delivered user record: key, per-key sequence, put time, Kinesis sequence number, sub-sequence. */
export type Delivery = readonly [k: number, s: number, t: number, sequenceNumber: string, subSequenceNumber: number];

export type WorkerMessage =
  | { readonly type: 'started'; readonly workerId: string }
  /** A processRecords batch, reported before it is checkpointed; `session` counts shard consumer starts in this worker. */
  | {
      readonly type: 'batch';
      readonly workerId: string;
      readonly shardId: string;
      readonly session: number;
      readonly at: number;
      readonly records: readonly Delivery[];
      /** Records in the batch this run did not write (skipped). */
      readonly foreign: number;
    }
  | { readonly type: 'lease'; readonly workerId: string; readonly shardId: string; readonly event: 'taken' | 'lost' | 'released'; readonly from?: string }
  | { readonly type: 'stopped'; readonly workerId: string }
  | { readonly type: 'error'; readonly workerId: string; readonly source: string; readonly message: string };

/** How the parent configures a worker (environment variable DEMO_WORKER, JSON). No credentials. */
export interface WorkerConfig {
  readonly workerId: string;
  /** Only records carrying this run id are counted (a real stream may hold older records). */
  readonly runId: string;
  readonly streamName: string;
  readonly applicationName: string;
  readonly failoverTimeMillis: number;
  /** Local mode: emulator endpoints and the emulators' account id. Absent: AWS, default clients. */
  readonly local?: { readonly kinesisEndpoint: string; readonly dynamoEndpoint: string; readonly accountId: string };
  readonly region?: string;
}
