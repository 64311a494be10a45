// Tooling over a lease table (what `kinesis-kit leases --sample` does): who holds which lease and
// whether the holder is alive. Under fleet coordination (the consumer's default) leases are not
// renewed: a worker is alive while its heartbeat in the fleet item changes. Under
// `coordination: 'kcl2'` (and the Java KCL) the lease counter is renewed instead.
// Compare two reads taken a failover time apart, on this process's clock only (heartbeats count
// modulo 100: keep the reads fewer than 100 heartbeats apart, i.e. under 25 s at the leader's 250 ms).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBLeaseStore, parseFleet, type TableContents } from '@kinesis-kit/consumer';

const store = new DynamoDBLeaseStore({ client: new DynamoDBClient({}), tableName: 'order-indexer' });

/** Per lease key: the value its holder keeps changing while alive (heartbeat for fleet workers, else the counter). */
function signals(table: TableContents): Map<string, string> {
  const slots = parseFleet(table.fleet ?? new Map()).slots;
  const slotOf = new Map(table.workers.map((w) => [w.workerId, w.slot]));
  const result = new Map<string, string>();
  for (const lease of table.leases) {
    if (lease.leaseOwner === undefined) continue;
    const slot = slotOf.get(lease.leaseOwner);
    result.set(lease.leaseKey, slot === undefined ? `counter ${lease.leaseCounter}` : `heartbeat ${slots.get(slot)?.heartbeat ?? 'none'}`);
  }
  return result;
}

const failoverTimeMillis = 10_000;
const before = signals(await store.readTable());
await new Promise((resolve) => setTimeout(resolve, failoverTimeMillis));
const after = await store.readTable();
for (const [leaseKey, signal] of signals(after)) {
  const owner = after.leases.find((l) => l.leaseKey === leaseKey)?.leaseOwner;
  console.log(`${leaseKey} held by ${owner}: ${before.get(leaseKey) === signal ? 'no sign of life (dead?)' : 'alive'}`);
}
console.log(`fleet leader: ${parseFleet(after.fleet ?? new Map()).leader ?? '(no fleet)'}`);
