const toStringTag = Object.prototype.toString;

/**
 * True for a Uint8Array (Buffers included), also one made in another realm (a vm context, a
 * Jest environment), where `instanceof Uint8Array` is false.
 */
export function isUint8Array(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array || (ArrayBuffer.isView(value) && toStringTag.call(value) === '[object Uint8Array]');
}
