/**
 * Chunk file framing: 8-byte magic, then records `u32le length | u32le crc32c(payload) | payload`.
 * Platform-free: works on bytes; the writer and reader do the file I/O.
 */
import { DatasetFormatError } from "../core/errors.js";
import { crc32c } from "./crc32c.js";

export const CHUNK_MAGIC = new TextEncoder().encode("TETHDS01");
export const FRAME_HEADER_BYTES = 8;
export function chunkFileName(index: number): string {
  return `chunk-${String(index).padStart(5, "0")}.tds`;
}

export function frameRecord(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length, true);
  view.setUint32(4, crc32c(payload), true);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

export interface FramedRecord {
  /** Byte offset of the frame header in the file. */
  offset: number;
  payload: Uint8Array;
}

export interface ScanResult {
  records: FramedRecord[];
  /** Bytes of the file covered by complete, checksummed records (including the magic). */
  validBytes: number;
  /** Bytes after `validBytes` that were dropped as a torn tail (only in tolerant mode). */
  droppedBytes: number;
}

/**
 * Splits a chunk into records, checking every CRC.
 * strict: any short or corrupt record is a DatasetFormatError (a finalized dataset must be whole).
 * tolerant (crash recovery): a torn *tail* — an incomplete frame, or a last frame whose CRC fails
 * because its bytes never reached the disk — is dropped and counted; corruption before the tail is
 * still an error, because records after it were written and would be lost silently.
 */
export function scanChunk(bytes: Uint8Array, file: string, mode: "strict" | "tolerant"): ScanResult {
  if (bytes.length < CHUNK_MAGIC.length) {
    if (mode === "tolerant" && isPrefixOfMagic(bytes))
      return { records: [], validBytes: 0, droppedBytes: bytes.length };
    throw new DatasetFormatError(file, 0, `file is ${bytes.length} bytes, shorter than the chunk magic`, {
      hint: "the chunk was truncated; run `tether dataset repair <dir>`",
    });
  }
  for (let i = 0; i < CHUNK_MAGIC.length; i++) {
    if (bytes[i] !== CHUNK_MAGIC[i]) throw new DatasetFormatError(file, 0, `not a Tether chunk (bad magic)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: FramedRecord[] = [];
  let pos = CHUNK_MAGIC.length;
  while (pos < bytes.length) {
    const remaining = bytes.length - pos;
    if (remaining < FRAME_HEADER_BYTES)
      return tail(records, pos, bytes.length, file, mode, `${remaining} bytes left, a frame header needs 8`);
    const len = view.getUint32(pos, true);
    const crc = view.getUint32(pos + 4, true);
    if (len === 0 && allZero(bytes, pos)) {
      // Some filesystems expose a crashed append as zero-filled blocks: that is a torn tail, not a record.
      return tail(
        records,
        pos,
        bytes.length,
        file,
        mode,
        `${remaining} zero bytes (an append that never completed)`,
      );
    }
    if (len === 0) {
      throw new DatasetFormatError(
        file,
        pos,
        "zero-length record (the writer never writes one: the chunk is corrupt)",
      );
    }
    if (pos + FRAME_HEADER_BYTES + len > bytes.length) {
      return tail(
        records,
        pos,
        bytes.length,
        file,
        mode,
        `record of ${len} bytes runs past the end of the file (${remaining - FRAME_HEADER_BYTES} bytes left)`,
      );
    }
    const payload = bytes.subarray(pos + FRAME_HEADER_BYTES, pos + FRAME_HEADER_BYTES + len);
    const actual = crc32c(payload);
    if (actual !== crc) {
      const isLast = pos + FRAME_HEADER_BYTES + len === bytes.length;
      const detail = `CRC32C mismatch: stored 0x${hex(crc)}, computed 0x${hex(actual)} over ${len} bytes`;
      if (isLast && mode === "tolerant") return tail(records, pos, bytes.length, file, mode, detail);
      throw new DatasetFormatError(file, pos, detail, {
        hint: "the chunk is corrupt; records before this offset are intact",
      });
    }
    records.push({ offset: pos, payload });
    pos += FRAME_HEADER_BYTES + len;
  }
  return { records, validBytes: pos, droppedBytes: 0 };
}

function tail(
  records: FramedRecord[],
  pos: number,
  size: number,
  file: string,
  mode: string,
  detail: string,
): ScanResult {
  if (mode === "strict") {
    throw new DatasetFormatError(file, pos, `truncated: ${detail}`, {
      hint: "run `tether dataset repair <dir>` to keep the complete records",
    });
  }
  return { records, validBytes: pos, droppedBytes: size - pos };
}

function allZero(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

function isPrefixOfMagic(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== CHUNK_MAGIC[i]) return false;
  return true;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}
