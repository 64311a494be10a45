import type { Readable, Writable } from 'node:stream';
import { exponentialBackoff, retry, systemClock, timeoutSignal, withTimeout, type Clock } from '@kinesis-kit/core';
import type { Connection } from './clients.js';
import { CliError, EXIT_CODES } from './errors.js';

/** What a command reads from and writes to; bin.ts passes the process's own. */
export interface CliIO {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Whether stderr is a terminal (a progress line is drawn only then, unless --progress). */
  readonly stderrIsTTY: boolean;
  /** Aborts on SIGINT / SIGTERM, or when stdout is closed (e.g. `| head`). */
  readonly signal: AbortSignal;
  readonly clock?: Clock;
}

/** Attempts of one Kinesis call (each with its own --timeout deadline) before the command fails. */
const CALL_ATTEMPTS = 4;
const CALL_BACKOFF = exponentialBackoff({ initialDelayMs: 200, maxDelayMs: 2_000 });

/**
 * One service call with the --timeout deadline on every attempt and the CLI's abort signal,
 * retried on throttling and transient failures (core's error table). Failures reject with
 * core's OperationFailedError, whose causeCode the exit-code mapping reads.
 */
export function call<T>(connection: Connection, io: CliIO, description: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const clock = io.clock ?? systemClock;
  return retry(() => withTimeout(clock, connection.timeoutMs, io.signal, work), {
    backoff: CALL_BACKOFF,
    maxAttempts: CALL_ATTEMPTS,
    clock,
    signal: io.signal,
    description,
  });
}

/** Runs one lease-store operation (its own retries included) under the --timeout deadline and the CLI's abort. */
export async function withOperationDeadline<T>(connection: Connection, io: CliIO, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = timeoutSignal(io.clock ?? systemClock, connection.timeoutMs, io.signal);
  try {
    return await work(deadline.signal);
  } catch (error) {
    // However the operation reports its abort (AbortedError, the SDK's AbortError), a deadline is a timeout.
    if (deadline.signal.aborted && !io.signal.aborted) {
      throw new CliError('TIMEOUT', `no answer within ${connection.timeoutMs} ms (--timeout)`, EXIT_CODES.failure, { retriable: true, cause: error });
    }
    throw error;
  } finally {
    deadline.done();
  }
}
