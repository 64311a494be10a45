import { classifyError, KinesisKitError, OperationFailedError } from '@kinesis-kit/core';

/**
 * The process exit codes of `kinesis-kit`, documented in docs/cli.md (a test keeps the table and
 * this object equal). Scripts can tell "try again" (1) from "fix the command" (2) from "it does
 * not exist" (3), "fix your credentials or permissions" (4) and "a worker holds it" (5).
 */
export const EXIT_CODES = {
  /** The command did what it was asked. */
  ok: 0,
  /** A runtime failure: the service or network failed after retries, or some records failed. */
  failure: 1,
  /** Usage error: unknown command or option, missing argument, bad position or timestamp. */
  usage: 2,
  /** The stream, lease table, shard or lease does not exist. */
  notFound: 3,
  /** No credentials, bad or expired credentials, or access denied. */
  credentials: 4,
  /** Refused: a live worker holds the lease (use --force), or the lease changed during the write. */
  refused: 5,
  /** Interrupted (SIGINT / SIGTERM) before the command finished; `tail` ends with 0 instead. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** An error the CLI reports as one line on stderr and turns into its exit code. */
export class CliError extends KinesisKitError {
  readonly exitCode: ExitCode;

  constructor(code: string, message: string, exitCode: ExitCode, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(code, message, options);
    this.exitCode = exitCode;
  }
}

/** The command line cannot be run as typed: nothing was read or written. */
export class UsageError extends CliError {
  constructor(message: string, code = 'USAGE') {
    super(code, message, EXIT_CODES.usage);
  }
}

/** AWS error names that mean the caller's identity was not accepted, or not allowed. */
const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignature',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidClientTokenId',
  'MissingAuthenticationToken',
  'AccessDeniedException',
  'KMSAccessDeniedException',
]);

/** The AWS / Node error name behind an error, looking through retry()'s OperationFailedError. */
export function awsErrorName(error: unknown): string {
  if (error instanceof OperationFailedError) return error.causeCode;
  return classifyError(error).code;
}

/** What a missing resource is called in the message, e.g. `stream orders`, `lease table billing`. */
export type ResourceName = { readonly kind: 'stream' | 'lease table' | 'shard'; readonly name: string };

/**
 * Turns whatever a command threw into a CliError with the right exit code. `missing` names the
 * resource a ResourceNotFoundException is about (the caller knows which one it asked for).
 */
export function toCliError(error: unknown, missing?: ResourceName): CliError {
  if (error instanceof CliError) return error;
  const name = awsErrorName(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (name === 'ResourceNotFoundException') {
    const what = missing === undefined ? 'the resource' : `${missing.kind} ${missing.name}`;
    const code = missing?.kind === 'lease table' ? 'TABLE_NOT_FOUND' : missing?.kind === 'shard' ? 'SHARD_NOT_FOUND' : 'STREAM_NOT_FOUND';
    return new CliError(code, `${what} does not exist (or is not visible with these credentials and region)`, EXIT_CODES.notFound, { cause: error });
  }
  if (CREDENTIAL_ERRORS.has(name)) {
    return new CliError('CREDENTIALS', `credentials were refused or are missing (${name}): ${detail}`, EXIT_CODES.credentials, { cause: error });
  }
  const code = error instanceof KinesisKitError ? error.code : 'FAILED';
  const retriable = error instanceof KinesisKitError ? error.retriable : classifyError(error).errorClass !== 'fatal';
  return new CliError(code, detail, EXIT_CODES.failure, { retriable, cause: error });
}

/** Runs `work`, reporting a ResourceNotFoundException as `missing` not existing; other errors pass through. */
export async function about<T>(missing: ResourceName, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw awsErrorName(error) === 'ResourceNotFoundException' ? toCliError(error, missing) : error;
  }
}
