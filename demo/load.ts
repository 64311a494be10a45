// The demo's producer side: user records with per-key sequence numbers, put at a steady rate,
// each acknowledgement or failure entered in the ledger.
import type { KinesisProducer } from '@kinesis-kit/producer';
import type { Ledger } from './ledger.js';
import { encodePayload } from './protocol.js';

export class SteadyLoad {
  private readonly sequences: number[];
  private readonly pending = new Set<Promise<void>>();
  produced = 0;

  constructor(
    private readonly producer: KinesisProducer,
    private readonly ledger: Ledger,
    private readonly keys: number,
    private readonly runId: string,
  ) {
    this.sequences = new Array<number>(keys).fill(0);
  }

  /** Puts records (keys in turn) until `target` have been put in total. */
  topUpTo(target: number): void {
    while (this.produced < target) this.putOne();
  }

  /** Puts not settled yet (accepted or waiting, neither acknowledged nor failed). */
  get unsettled(): number {
    return this.pending.size;
  }

  /** Closes the producer (it flushes) and waits until every put has settled. */
  async close(): Promise<void> {
    await this.producer.close();
    await Promise.all(this.pending);
  }

  private putOne(): void {
    const k = this.produced % this.keys;
    const s = this.sequences[k]!++;
    this.produced += 1;
    const data = encodePayload({ r: this.runId, k, s, t: Date.now() });
    const settled: Promise<void> = this.producer
      .put({ partitionKey: `key-${k}`, data })
      .then(
        () => this.ledger.acknowledge(k, s, Date.now()),
        () => this.ledger.fail(),
      )
      .finally(() => this.pending.delete(settled));
    this.pending.add(settled);
  }
}
