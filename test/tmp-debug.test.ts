import { KinesisConsumer } from '@kinesis-kit/consumer';
import { describe, it } from 'vitest';
import { createStream, dynamoClient, kinesisClient, uniqueName } from './harness/index.js';
import { FAST_CONSUMER, reportingProcessor } from './workers/fixtures.js';

describe('debug', () => {
  it('join later', async () => {
    const kinesis = kinesisClient();
    const dynamo = dynamoClient();
    const stream = await createStream(kinesis, 4, 'dbg');
    const app = uniqueName('app');
    const mk = (id: string) => new KinesisConsumer({ streamName: stream.streamName, applicationName: app, workerId: id, kinesisClient: kinesis, dynamoDBClient: dynamo, initialPosition: 'TRIM_HORIZON', processor: reportingProcessor(id, (r) => { if (r.type !== 'record') console.log(id, 'REPORT', JSON.stringify(r)); }), ...FAST_CONSUMER,
      logger: { debug: () => undefined, info: (m, f) => console.log(id, 'INFO', m, JSON.stringify(f)), warn: (m, f) => console.log(id, 'WARN', m, JSON.stringify(f)), error: (m, f) => console.log(id, 'ERR', m, JSON.stringify(f)) } });
    const a = mk('a'), b = mk('b');
    a.on('error', (e) => console.log('a error', e.source, String(e.error)));
    b.on('error', (e) => console.log('b error', e.source, String(e.error)));
    await a.start();
    await new Promise((r) => setTimeout(r, 3000));
    console.log('a alone', a.stats().leasesHeld.length, a.stats().shardsRunning.length);
    await b.start();
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 500));
      console.log(i, 'a', JSON.stringify(a.stats().leasesHeld), JSON.stringify(a.stats().shardsRunning), 'b', JSON.stringify(b.stats().leasesHeld));
    }
    await a.stop(); await b.stop();
  }, 60_000);
});
