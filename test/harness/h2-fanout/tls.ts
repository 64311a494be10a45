import { createRequire } from 'node:module';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttp2Handler, type NodeHttp2HandlerOptions } from '@smithy/node-http-handler';

/**
 * The loopback HTTP/2 peer's TLS identity: the self-signed certificate kinesis-local ships in
 * server.json (a devDependency already, so nothing is generated at test time and CI needs no
 * openssl). The certificate names no host (CN=Unknown, no subjectAltName), so clients verify it
 * by that name: `servername` below.
 */
export interface PeerTls {
  readonly key: string;
  readonly cert: string;
  /** The certificate's common name, which clients check instead of 127.0.0.1. */
  readonly servername: string;
}

export function peerTls(): PeerTls {
  const { server } = createRequire(import.meta.url)('kinesis-local/server.json') as { server: { key: string; cert: string } };
  return { key: server.key, cert: server.cert, servername: 'Unknown' };
}

export interface H2ClientOptions {
  readonly endpoint: string;
  readonly accountId: string;
  /** Handler settings a user might set (disableConcurrentStreams, sessionTimeout, ...), on top of the defaults. */
  readonly handler?: Omit<NodeHttp2HandlerOptions, 'nodeHttp2ConnectOptions'>;
}

/**
 * A KinesisClient exactly as a user gets it (the SDK's default request handler: NodeHttp2Handler
 * with the Kinesis defaults), told to trust the peer's certificate. Trust is scoped to this
 * client: `nodeHttp2ConnectOptions` goes to `http2.connect` (`ca` = the peer's certificate,
 * verified as a chain and by name), instead of NODE_TLS_REJECT_UNAUTHORIZED, which is global to
 * the process and prints a warning. `updateHttpClientConfig` keeps the default handler's own
 * configuration (`disableConcurrentStreams: true` for Kinesis) and only adds the connect options.
 */
export function h2KinesisClient({ endpoint, accountId, handler: settings = {} }: H2ClientOptions): KinesisClient {
  const client = new KinesisClient({ endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: accountId, secretAccessKey: 'test' } });
  const handler = client.config.requestHandler;
  if (!(handler instanceof NodeHttp2Handler)) throw new Error('expected the SDK default NodeHttp2Handler');
  const { cert, servername } = peerTls();
  handler.updateHttpClientConfig('nodeHttp2ConnectOptions', { ca: cert, servername });
  for (const [key, value] of Object.entries(settings)) handler.updateHttpClientConfig(key as keyof NodeHttp2HandlerOptions, value);
  return client;
}
