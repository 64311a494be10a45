import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * DynamoDB's capacity rules, from the developer guide ("Item sizes and formats", "Read/write
 * capacity mode"): what the simulated table charges, and what the KCL 3.x model is computed with.
 *
 * Item size = for every attribute, the UTF-8 length of its name plus the size of its value:
 * strings in UTF-8 bytes, binary in bytes, numbers 1 byte per two significant digits plus 1,
 * booleans and null 1 byte, sets the sum of their elements, lists and maps 3 bytes plus 1 per
 * element plus the elements.
 */
export type Item = Record<string, AttributeValue>;

/** A read capacity unit: one strongly consistent read of up to 4 KB per second. */
export const READ_UNIT_BYTES = 4 * 1024;
/** A write capacity unit: one write of up to 1 KB. */
export const WRITE_UNIT_BYTES = 1024;
/** Scan and Query stop a page after 1 MB of items read. */
export const PAGE_LIMIT_BYTES = 1024 * 1024;

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

function numberSize(text: string): number {
  const digits = text.replace(/^[-+]/, '').replace(/[eE].*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  if (digits.length === 0) return 1;
  return Math.ceil(digits.length / 2) + 1 + (text.startsWith('-') ? 1 : 0);
}

export function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((n, s) => n + utf8(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((n, s) => n + numberSize(s), 0);
  if (value.BS !== undefined) return value.BS.reduce((n, b) => n + b.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((n, v) => n + 1 + valueSize(v), 0);
  if (value.M !== undefined) return 3 + Object.keys(value.M).length + itemSize(value.M);
  return 0;
}

/** Bytes of an item as DynamoDB counts them for capacity. */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8(name) + valueSize(value);
  return size;
}

/** Read units of `bytes` read in one request (GetItem: one item; Scan/Query: the page total). At least 1 (or 0.5). */
export function readUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));
  return consistent ? units : units / 2;
}

/** Write units of one item write: the larger of the item before and after, in 1 KB units, at least 1. */
export function writeUnits(before: Item | undefined, after: Item | undefined): number {
  const bytes = Math.max(before === undefined ? 0 : itemSize(before), after === undefined ? 0 : itemSize(after));
  return Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
}
