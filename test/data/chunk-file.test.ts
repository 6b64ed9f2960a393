import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CHUNK_MAGIC, frameRecord, scanChunk } from "../../src/data/chunk-file.js";

function chunk(payloads: Uint8Array[]): { bytes: Uint8Array; ends: number[] } {
  const parts = [CHUNK_MAGIC, ...payloads.map(frameRecord)];
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  const ends: number[] = [];
  let off = 0;
  for (const p of parts) {
    bytes.set(p, off);
    off += p.length;
    ends.push(off);
  }
  return { bytes, ends };
}

describe("chunk framing", () => {
  it("tolerant scan of any truncation keeps exactly the complete records and counts the rest as dropped", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { minLength: 1, maxLength: 8 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (payloads, f) => {
          const { bytes, ends } = chunk(payloads);
          const cut = Math.floor(f * bytes.length);
          const scan = scanChunk(bytes.subarray(0, cut), "c.tds", "tolerant");
          const complete = ends.slice(1).filter((e) => e <= cut).length;
          expect(scan.records.length).toBe(complete);
          expect(scan.records.map((r) => Array.from(r.payload))).toEqual(
            payloads.slice(0, complete).map((p) => Array.from(p)),
          );
          expect(scan.validBytes + scan.droppedBytes).toBe(cut);
        },
      ),
    );
  });

  it("strict scan rejects every truncation that cuts a record, naming the record's offset", () => {
    const { bytes, ends } = chunk([Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5, 6, 7)]);
    expect(() => scanChunk(bytes.subarray(0, ends[2] - 1), "c.tds", "strict")).toThrow(
      new RegExp(`c\\.tds @${ends[1]}: truncated`),
    );
    expect(scanChunk(bytes, "c.tds", "strict").records.length).toBe(2);
  });

  it("rejects a flipped bit anywhere in a record that is not the tail, in both modes", () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(7), (pos, bit) => {
        const { bytes, ends } = chunk([Uint8Array.of(9, 9, 9, 9, 9), Uint8Array.of(1, 2, 3, 4, 5, 6)]);
        const at = ends[0] + 8 + (pos % 5); // inside the first payload
        const bad = bytes.slice();
        bad[at] ^= 1 << bit;
        expect(() => scanChunk(bad, "c.tds", "tolerant")).toThrow(/CRC32C mismatch/);
        expect(() => scanChunk(bad, "c.tds", "strict")).toThrow(new RegExp(`@${ends[0]}: CRC32C mismatch`));
      }),
    );
  });

  it("treats a garbage length as a truncation: dropped in recovery, an error in strict mode", () => {
    const { bytes } = chunk([Uint8Array.of(1), Uint8Array.of(2)]);
    new DataView(bytes.buffer).setUint32(8 + 9, 0xfffffff0, true);
    expect(scanChunk(bytes, "c.tds", "tolerant")).toMatchObject({ validBytes: 17, droppedBytes: 9 });
    expect(() => scanChunk(bytes, "c.tds", "strict")).toThrow(
      /c\.tds @17: truncated: record of 4294967280 bytes runs past the end/,
    );
  });

  it("drops a zero-filled tail (a crashed append on some filesystems) but not zeros followed by data", () => {
    const { bytes } = chunk([Uint8Array.of(1, 2)]);
    const padded = new Uint8Array(bytes.length + 4096);
    padded.set(bytes);
    expect(scanChunk(padded, "c.tds", "tolerant")).toMatchObject({
      validBytes: bytes.length,
      droppedBytes: 4096,
    });
    expect(() => scanChunk(padded, "c.tds", "strict")).toThrow(/truncated: 4096 zero bytes/);
    padded[padded.length - 1] = 7;
    expect(() => scanChunk(padded, "c.tds", "tolerant")).toThrow(
      new RegExp(`@${bytes.length}: zero-length record`),
    );
  });
});
