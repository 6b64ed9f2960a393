/**
 * What a bag's file is before it is opened: its storage (by extension), whether rosbag2 compressed it as a
 * whole (`compression_mode: file`, `<name>.mcap.zstd` / `<name>.db3.zstd`), and whether it is a Git LFS
 * pointer left by a clone without `git lfs pull` (a few hundred bytes of text, which would otherwise read as a
 * corrupt file).
 */
import { closeSync, openSync, readSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { decompress as zstdDecompress } from "fzstd";
import { DatasetFormatError } from "../../core/errors.js";
import type { StorageId } from "./storage.js";

const STORAGE_BY_EXT: Record<string, StorageId> = { ".mcap": "mcap", ".db3": "sqlite3", ".bag": "ros1" };

export interface StorageFileKind {
  storage: StorageId;
  /** Whole-file compression ("zstd"), if any. */
  fileCompression?: "zstd";
}

/** Whether a folder entry is a storage file Tether reads (compressed or not). */
export function isStorageFileName(name: string): boolean {
  return extname(name.replace(/\.zstd$/, "")) in STORAGE_BY_EXT;
}

export function storageKindOf(file: string): StorageFileKind {
  const compressed = /\.zstd$/.test(file);
  const inner = compressed ? file.slice(0, -".zstd".length) : file;
  const storage = STORAGE_BY_EXT[extname(inner)];
  if (storage && !(compressed && storage === "ros1"))
    return compressed ? { storage, fileCompression: "zstd" } : { storage };
  if (/\.(lz4|bz2|gz)$/.test(file))
    throw new DatasetFormatError(
      file,
      undefined,
      `whole-file compression "${extname(file).slice(1)}" is not supported (rosbag2 writes zstd: .mcap.zstd or .db3.zstd)`,
    );
  throw new DatasetFormatError(
    file,
    undefined,
    `unknown storage file extension "${extname(file)}" (expected .mcap, .db3, their .zstd file-compressed forms, or a ROS 1 .bag)`,
  );
}

const LFS_PREFIX = "version https://git-lfs.github.com/spec/";

/** Throws a DatasetFormatError naming the file as a Git LFS pointer (with the object's id and size). */
export function checkNotLfsPointer(file: string): void {
  const head = Buffer.alloc(512);
  const fd = openSync(file, "r");
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const text = head.subarray(0, n).toString("latin1");
  if (!text.startsWith(LFS_PREFIX)) return;
  const oid = /^oid (\S+)/m.exec(text)?.[1] ?? "unknown oid";
  const size = /^size (\d+)/m.exec(text)?.[1];
  throw new DatasetFormatError(
    file,
    0,
    `this is a Git LFS pointer (${oid}${size ? `, ${size} bytes` : ""}), not the bag data`,
    { hint: "fetch the real file with `git lfs pull` (or `git lfs fetch && git lfs checkout`)" },
  );
}

/** A file-compressed storage file, decompressed in memory (rosbag2 writes one zstd frame per file). */
export async function readCompressedFile(file: string): Promise<Uint8Array> {
  const bytes = await readFile(file);
  try {
    return zstdDecompress(bytes);
  } catch (err) {
    throw new DatasetFormatError(
      file,
      undefined,
      `cannot decompress this zstd file-compressed bag file: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** Whether a message payload is a zstd frame (`compression_mode: message`); CDR payloads start with 0x00. */
export function isZstdFrame(data: Uint8Array): boolean {
  return data.length >= 4 && ZSTD_MAGIC.every((b, i) => data[i] === b);
}

/** One message of a `compression_mode: message` bag, decompressed. */
export function decompressMessage(
  data: Uint8Array,
  file: string,
  topic: string,
  logTimeNs: bigint,
): Uint8Array {
  try {
    return zstdDecompress(data);
  } catch (err) {
    throw new DatasetFormatError(
      file,
      undefined,
      `topic ${topic}: cannot decompress the zstd message logged at ${logTimeNs} ns: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
