import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { Connection } from './clients.js';
import { call, type CliIO } from './context.js';
import { about } from './errors.js';

/**
 * Checks that the stream exists before a command uses it, so a typo ends with exit code 3 and
 * "stream x does not exist" rather than a failure deep inside a read or write.
 */
export async function requireStream(client: KinesisClient, streamName: string, connection: Connection, io: CliIO): Promise<void> {
  await about({ kind: 'stream', name: streamName }, () =>
    call(connection, io, `DescribeStreamSummary ${streamName}`, (signal) =>
      client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }), { abortSignal: signal }),
    ),
  );
}
