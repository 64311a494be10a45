import { randomUUID } from 'node:crypto';

/** A stdin line that cannot become a record; reported with its line number, never sent. */
export class LineRejected extends Error {}

/**
 * The partition key of one input line: the value at `field` (a dot path into the line parsed as
 * JSON, e.g. `order.customerId`; strings and numbers accepted) or, without a field, a random UUID.
 * @throws LineRejected when the line is not JSON or the field is missing or not a string/number.
 */
export function partitionKeyOf(line: string, field: string | undefined): string {
  if (field === undefined) return randomUUID();
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new LineRejected(`not JSON, so it has no field ${field}`);
  }
  for (const step of field.split('.')) {
    value = typeof value === 'object' && value !== null && Object.hasOwn(value, step) ? (value as Record<string, unknown>)[step] : undefined;
  }
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new LineRejected(value === undefined ? `no field ${field}` : `field ${field} is not a non-empty string or a number`);
}
