// SDK clients for the demo. Emulators speak HTTP/1.1 only, so local clients use the HTTP/1.1
// handler; against AWS the SDK defaults (HTTP/2 for Kinesis, the default credential chain).
import http from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface LocalEndpoints {
  readonly kinesisEndpoint: string;
  readonly dynamoEndpoint: string;
  readonly accountId: string;
}

export function makeClients(local: LocalEndpoints | undefined, region: string | undefined): { kinesis: KinesisClient; dynamo: DynamoDBClient } {
  if (local === undefined) {
    // The libraries own retries: one SDK attempt each, or retries multiply.
    return { kinesis: new KinesisClient({ region, maxAttempts: 1 }), dynamo: new DynamoDBClient({ region, maxAttempts: 1 }) };
  }
  const base = (endpoint: string) => ({
    endpoint,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: local.accountId, secretAccessKey: 'demo' },
    requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: 32 }) }),
  });
  return { kinesis: new KinesisClient(base(local.kinesisEndpoint)), dynamo: new DynamoDBClient(base(local.dynamoEndpoint)) };
}
