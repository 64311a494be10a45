// SDK clients for getting started: the local emulators when KINESIS_ENDPOINT is set, AWS otherwise.
import http from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const local = process.env.KINESIS_ENDPOINT;

function emulatorConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: '000000000000', secretAccessKey: 'local' }, // the emulators accept any key
    maxAttempts: 1, // kinesis-kit retries itself
    // The emulators speak HTTP/1.1 only; the SDK's default HTTP/2 handler cannot reach them.
    requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true }) }),
  };
}

export const kinesis =
  local === undefined ? new KinesisClient({ maxAttempts: 1 }) : new KinesisClient(emulatorConfig(local));
export const dynamoDB =
  local === undefined ? new DynamoDBClient({ maxAttempts: 1 }) : new DynamoDBClient(emulatorConfig(process.env.DYNAMODB_ENDPOINT ?? 'http://127.0.0.1:4568'));
