const encoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF is part of the key, as it is for the Java KCL.
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * UTF-8 byte length of `s`, without allocating. A surrogate pair counts 4 bytes; a lone
 * surrogate counts 3, because TextEncoder writes it as U+FFFD.
 */
export function utf8Length(s: string): number {
  const n = s.length;
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
      continue;
    }
    if (c <= 0xdbff && c >= 0xd800 && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 2; // two code units, four bytes
        i++;
        continue;
      }
    }
    bytes += 2;
  }
  return bytes;
}

/**
 * Writes `s` (whose UTF-8 length the caller already knows as `byteLength`) into `out` at `pos`.
 * Returns the position after it.
 */
export function writeUtf8(s: string, byteLength: number, out: Uint8Array, pos: number): number {
  const n = s.length;
  if (byteLength === n) {
    for (let i = 0; i < n; i++) out[pos + i] = s.charCodeAt(i);
  } else {
    encoder.encodeInto(s, out.subarray(pos, pos + byteLength));
  }
  return pos + byteLength;
}

/** Decodes bytes `start..end` of `buf` as UTF-8; invalid sequences become U+FFFD, never an error. */
export function readUtf8(buf: Uint8Array, start: number, end: number): string {
  return decoder.decode(buf.subarray(start, end));
}
