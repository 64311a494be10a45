/** Bytes a protobuf varint takes for a non-negative integer below 2^35 (all we ever write). */
export function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

/**
 * Writes `value` (a non-negative integer below 2^32: lengths and table indexes) as a protobuf
 * varint, seven bits a byte, least significant first. Returns the position after it.
 */
export function writeVarint(out: Uint8Array, pos: number, value: number): number {
  while (value > 0x7f) {
    out[pos++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  out[pos++] = value;
  return pos;
}
