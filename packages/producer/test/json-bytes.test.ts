import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonBytesWriter } from '../src/json-bytes.js';

/** What the writer must produce: the UTF-8 bytes of JSON.stringify / of Node's base64. */
const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const awkward = fc.constantFrom('"', '\\', '\u0000', '\u001f', '\u007f', '\u2028', '\ud800', '\udfff', '\ud83d\ude00', 'é', 'a');

describe('JsonBytesWriter', () => {
  it('writes any string as the UTF-8 of JSON.stringify, lone surrogates included', () => {
    const writer = new JsonBytesWriter();
    fc.assert(
      fc.property(fc.array(fc.oneof(anyUnit, awkward), { maxLength: 40 }).map((units) => units.join('')), (value) => {
        writer.start();
        writer.string(value);
        expect(writer.take().equals(utf8(JSON.stringify(value)))).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('writes data of any length, also views, as quoted base64 (inline and through Node)', () => {
    const writer = new JsonBytesWriter();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.nat(), (bytes, cut) => {
        const view = bytes.subarray(bytes.length === 0 ? 0 : cut % bytes.length);
        writer.start();
        writer.base64String(view);
        expect(writer.take().toString('latin1')).toBe(`"${Buffer.from(view).toString('base64')}"`);
      }),
      { numRuns: 1_000 },
    );
  });

  it('grows past its scratch buffer or is sized up front, hands a large body out, and writes correctly afterwards', () => {
    const writer = new JsonBytesWriter();
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i * 7);
    const expected = utf8(JSON.stringify([Buffer.from(big).toString('base64'), 'k"€']));
    for (const expectedBytes of [0, expected.length + 100]) {
      writer.start(expectedBytes);
      writer.ascii('[');
      writer.base64String(big);
      writer.ascii(',');
      writer.string('k"€');
      writer.ascii(']');
      const body = writer.take();
      writer.start();
      writer.string('small');
      expect(writer.take().toString('utf8')).toBe('"small"');
      expect(body.equals(expected)).toBe(true);
    }
  });
});
