// A KPL configuration (default_config.properties) and the same producer with @kinesis-kit/producer.
//
//   RecordMaxBufferedTime = 200        AggregationEnabled = true
//   RecordTtl = 60000                  AggregationMaxSize = 102400
//   CollectionMaxCount = 500           MaxConnections = 48
//   RateLimit = 120                    RequestTimeout = 10000
//   Region = eu-west-1                 MetricsNamespace = OrderService
import { EmfMetrics } from '@kinesis-kit/core';
import { KinesisProducer, PutRecordError } from '@kinesis-kit/producer';

const producer = new KinesisProducer({
  streamName: 'orders', // the KPL takes the stream per addUserRecord; here one producer per stream
  clientConfig: { region: 'eu-west-1' },
  recordMaxBufferedTime: 200,
  recordTtl: 60_000,
  collectionMaxCount: 500,
  rateLimit: 120,
  aggregation: { enabled: true, maxSize: 102_400 },
  maxConcurrentRequests: 48,
  requestTimeout: 10_000,
  metrics: new EmfMetrics({ namespace: 'OrderService', write: (line) => process.stdout.write(line) }),
  // New: the KPL's buffer is unbounded; this one blocks enqueue() when full.
  maxBufferedRecords: 100_000,
});

// producer.addUserRecord("orders", partitionKey, data) returned a ListenableFuture<UserRecordResult>:
async function addUserRecord(partitionKey: string, data: Uint8Array): Promise<void> {
  try {
    const result = await producer.put({ partitionKey, data }); // UserRecordResult
    void result.attempts; // getAttempts()
  } catch (error) {
    if (error instanceof PutRecordError) {
      // UserRecordFailedException: the record and every attempt are on the error
      void error.attempts;
      return;
    }
    throw error;
  }
}

await addUserRecord('customer-1', new TextEncoder().encode('{"order":1}'));
// producer.flushSync() + producer.destroy():
await producer.close();
