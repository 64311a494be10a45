import http from 'node:http';
import { randomInt } from 'node:crypto';
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { inject } from 'vitest';

/**
 * A fresh 12-digit access key id: kinesis-local keeps one namespace per account id, and
 * DynamoDB emulators one database per key, so each test file (or test) can have its own.
 */
export function testAccountId(): string {
  return String(randomInt(100_000, 999_999)) + String(randomInt(100_000, 999_999));
}

export interface TestClientOptions {
  accountId?: string;
  endpoint?: string;
  /** Total SDK attempts. Default 1: the code under test owns retries. */
  maxAttempts?: number;
}

function baseConfig(endpoint: string, options: TestClientOptions) {
  return {
    endpoint,
    region: 'us-east-1',
    maxAttempts: options.maxAttempts ?? 1,
    credentials: { accessKeyId: options.accountId ?? '000000000000', secretAccessKey: 'test' },
    // The emulators speak HTTP/1.1 only; the SDK's default HTTP/2 handler cannot reach them.
    requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }) }),
  };
}

export function kinesisClient(options: TestClientOptions = {}, extra: KinesisClientConfig = {}): KinesisClient {
  return new KinesisClient({ ...baseConfig(options.endpoint ?? inject('kinesisEndpoint'), options), ...extra });
}

export function dynamoClient(options: TestClientOptions = {}, extra: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({ ...baseConfig(options.endpoint ?? inject('dynamoEndpoint'), options), ...extra });
}
