import { createHash } from 'node:crypto';

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** magic + body + MD5(body): a correctly framed aggregate around any body bytes. */
export function frame(bodyHex: string): Uint8Array {
  const body = Buffer.from(bodyHex.replace(/\s+/g, ''), 'hex');
  const md5 = createHash('md5').update(body).digest();
  return new Uint8Array(Buffer.concat([Buffer.from('f3899ac2', 'hex'), body, md5]));
}

/** The reference hash key of a partition key, computed independently of the package. */
export function md5HashKey(partitionKey: string): bigint {
  return BigInt('0x' + createHash('md5').update(partitionKey, 'utf8').digest('hex'));
}

/** A cheap comparable form of bytes (deep-equality on large Uint8Arrays is slow in expect). */
export function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
