const CONDITIONAL_CHECK_FAILED = 'ConditionalCheckFailedException';

export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: unknown } | undefined)?.name === CONDITIONAL_CHECK_FAILED;
}

/** The AWS error name of an error, or of the cause of an OperationFailedError from retry(). */
export function causeName(error: unknown): string | undefined {
  const candidate = error as { name?: unknown; causeCode?: unknown } | undefined;
  if (typeof candidate?.causeCode === 'string') return candidate.causeCode;
  return typeof candidate?.name === 'string' ? candidate.name : undefined;
}
