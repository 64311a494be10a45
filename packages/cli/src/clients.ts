import http from 'node:http';
import https from 'node:https';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { integerOption, stringOption, type ParsedValues } from './args.js';
import { UsageError } from './errors.js';

/** Where the services are and who is asking, from --endpoint, --region, --profile and --timeout. */
export interface Connection {
  readonly kinesisEndpoint: string | undefined;
  readonly dynamoDBEndpoint: string | undefined;
  readonly region: string | undefined;
  readonly profile: string | undefined;
  /** Deadline of one request (or one lease-table operation with its retries), in ms. */
  readonly timeoutMs: number;
}

/** Default --timeout: the per-request deadline. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Region used when an endpoint is given without --region and the environment names none:
 * emulators accept any region, and signing needs one.
 */
const EMULATOR_REGION = 'us-east-1';

export function connectionFrom(values: ParsedValues): Connection {
  const endpoint = endpointOption(values, 'endpoint');
  return {
    kinesisEndpoint: endpointOption(values, 'kinesis-endpoint') ?? endpoint,
    dynamoDBEndpoint: endpointOption(values, 'dynamodb-endpoint') ?? endpoint,
    region: stringOption(values, 'region'),
    profile: stringOption(values, 'profile'),
    timeoutMs: integerOption(values, 'timeout', DEFAULT_TIMEOUT_MS, { min: 1 }),
  };
}

function endpointOption(values: ParsedValues, name: string): string | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--${name} must be a URL such as http://localhost:4567, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--${name} must be an http:// or https:// URL, got ${JSON.stringify(raw)}`);
  return raw;
}

/**
 * SDK client settings. `maxAttempts: 1`: the CLI retries itself (core's retry, or the lease store's
 * and the producer's own). Against an explicit endpoint the HTTP/1.1 handler is used: the Kinesis
 * client's default is HTTP/2, which no local emulator speaks (docs/cli.md). Credentials come from
 * the SDK's default provider chain, which honours `profile`.
 */
function clientConfig(connection: Connection, endpoint: string | undefined) {
  const region = connection.region ?? (endpoint !== undefined && !regionInEnvironment() ? EMULATOR_REGION : undefined);
  return {
    maxAttempts: 1,
    ...(region === undefined ? {} : { region }),
    ...(connection.profile === undefined ? {} : { profile: connection.profile }),
    ...(endpoint === undefined
      ? {}
      : {
          endpoint,
          requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true }), httpsAgent: new https.Agent({ keepAlive: true }) }),
        }),
  };
}

function regionInEnvironment(): boolean {
  return Boolean(process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION);
}

export function createKinesisClient(connection: Connection): KinesisClient {
  return new KinesisClient(clientConfig(connection, connection.kinesisEndpoint));
}

export function createDynamoDBClient(connection: Connection): DynamoDBClient {
  return new DynamoDBClient(clientConfig(connection, connection.dynamoDBEndpoint));
}
