import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { crc32c } from "../../src/data/crc32c.js";

/** Bit-at-a-time reference, independent of the table code. */
function crcReference(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe("crc32c", () => {
  it("matches the RFC 3720 check value for '123456789'", () => {
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
  });
  it("matches the iSCSI test vector of 32 zero bytes", () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  });
  it("agrees with a bit-at-a-time reference and composes over splits", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (data, cut) => {
        const k = Math.min(cut, data.length);
        expect(crc32c(data)).toBe(crcReference(data));
        expect(crc32c(data.subarray(k), crc32c(data.subarray(0, k)))).toBe(crc32c(data));
      }),
    );
  });
});
