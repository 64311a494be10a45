import { createInterface } from 'node:readline';
import { InvalidRecordError, systemClock } from '@kinesis-kit/core';
import { KinesisProducer, type PutRecordError } from '@kinesis-kit/producer';
import { parseCommand, stringOption } from '../args.js';
import { connectionFrom, createKinesisClient, type Connection } from '../clients.js';
import type { CliIO } from '../context.js';
import { EXIT_CODES, type ExitCode } from '../errors.js';
import { LineRejected, partitionKeyOf } from '../put/line-records.js';
import { newCounts, startProgress, summary, type PutCounts } from '../put/progress.js';
import { requireStream } from '../stream.js';

export const PUT_USAGE = `kinesis-kit put <stream> [options] < records.jsonl

Writes one record per stdin line (the line's UTF-8 bytes, without the newline) through the
kinesis-kit producer: KPL aggregation on, batching, retries, backpressure. Empty lines are
skipped. Prints a progress line on a terminal (stderr) and a summary at the end (stdout).

  --partition-key-field <path>  partition key from this field of each line parsed as JSON
                                (dot path, e.g. order.customerId); default: a random UUID
  --progress                    draw the progress line even when stderr is not a terminal
  --quiet                       no progress line

Exit code 1 when any line was rejected (not JSON, no such field, invalid key) or failed after
the producer's retries; each is reported on stderr with its line number (the first 20).`;

const OPTIONS = {
  'partition-key-field': { type: 'string' },
  progress: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

/** Problems reported line by line before only counting the rest. */
const MAX_REPORTED_PROBLEMS = 20;

export async function putCommand(args: readonly string[], io: CliIO): Promise<ExitCode> {
  const { values, positionals } = parseCommand(args, OPTIONS, ['stream']);
  if (values.help === true) {
    io.stdout.write(`${PUT_USAGE}\n`);
    return EXIT_CODES.ok;
  }
  const connection = connectionFrom(values);
  const streamName = positionals[0]!;
  const field = stringOption(values, 'partition-key-field');
  const client = createKinesisClient(connection);
  try {
    await requireStream(client, streamName, connection, io);
    const counts = newCounts();
    const showProgress = values.quiet !== true && (values.progress === true || io.stderrIsTTY);
    const progress = showProgress ? startProgress(io.stderr, counts) : undefined;
    const clock = io.clock ?? systemClock;
    const started = clock.now();
    try {
      await writeLines(streamName, field, counts, connection, io, client);
    } finally {
      progress?.stop();
    }
    io.stdout.write(summary(streamName, counts, clock.now() - started));
    if (io.signal.aborted) return EXIT_CODES.interrupted;
    return counts.failed + counts.rejected === 0 ? EXIT_CODES.ok : EXIT_CODES.failure;
  } finally {
    client.destroy();
  }
}

/**
 * Feeds stdin to the producer with backpressure (`await enqueue`): memory stays bounded however
 * large the input. On interruption reading stops, and what was accepted is still flushed.
 */
async function writeLines(
  streamName: string,
  field: string | undefined,
  counts: PutCounts,
  connection: Connection,
  io: CliIO,
  client: ReturnType<typeof createKinesisClient>,
): Promise<void> {
  const producer = new KinesisProducer({ streamName, kinesisClient: client, requestTimeout: connection.timeoutMs });
  producer.on('request', (event) => {
    counts.requests += 1;
    counts.kinesisRecords += event.kinesisRecords - event.failedKinesisRecords;
  });
  let problems = 0;
  const report = (line: number, message: string): void => {
    problems += 1;
    if (problems <= MAX_REPORTED_PROBLEMS) io.stderr.write(`line ${line}: ${message}\n`);
    else if (problems === MAX_REPORTED_PROBLEMS + 1) io.stderr.write('(more problems are counted in the summary, not listed)\n');
  };
  const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  const encoder = new TextEncoder();
  try {
    for await (const line of lines) {
      if (io.signal.aborted) break;
      const lineNumber = ++counts.lines;
      if (line === '') {
        counts.skipped += 1;
        continue;
      }
      try {
        const ticket = await producer.enqueue({ partitionKey: partitionKeyOf(line, field), data: encoder.encode(line) }, { signal: io.signal });
        ticket.result.then(
          () => void (counts.written += 1),
          (error: PutRecordError) => {
            counts.failed += 1;
            report(lineNumber, `failed: ${error.code} (${error.causeCode}) ${error.message}`);
          },
        );
      } catch (error) {
        if (!(error instanceof LineRejected || error instanceof InvalidRecordError)) {
          if (io.signal.aborted) break;
          throw error;
        }
        counts.rejected += 1;
        report(lineNumber, `rejected: ${error.message}`);
      }
    }
  } finally {
    lines.close();
    await producer.close();
  }
}
