/**
 * `tether dataset repair`: finalizes the manifest of a dataset whose writer died (kill -9, power loss)
 * or whose manifest was lost. Chunk files are never modified: the manifest records how many bytes of each
 * are valid, so a torn tail stays on disk but is never read.
 */
import { createHash } from "node:crypto";
import { openSync, readSync, closeSync } from "node:fs";
import { writeManifest, readManifest, type Manifest } from "./manifest.js";
import { recoverDataset } from "./dataset-reader.js";

export interface RepairResult {
  manifest: Manifest;
  droppedBytes: number;
  /** False when the manifest was already complete (nothing to do). */
  repaired: boolean;
}

export function repairDataset(dir: string, options: { force?: boolean } = {}): RepairResult {
  let previous: Manifest | undefined;
  try {
    previous = readManifest(dir);
  } catch {
    previous = undefined; // an unreadable manifest is exactly what repair rebuilds
  }
  if (previous?.status === "complete" && !options.force)
    return { manifest: previous, droppedBytes: 0, repaired: false };
  const ds = recoverDataset(dir, previous);
  const hash = createHash("sha256");
  for (const c of ds.chunks) hashPrefix(hash, c.path, c.bytes);
  const manifest: Manifest = {
    ...ds.manifest,
    status: "complete",
    finalizedAt: new Date().toISOString(),
    contentHash: `sha256:${hash.digest("hex")}`,
    repair: { droppedBytes: ds.droppedBytes, repairedAt: new Date().toISOString() },
  };
  writeManifest(dir, manifest);
  return { manifest, droppedBytes: ds.droppedBytes, repaired: true };
}

function hashPrefix(hash: ReturnType<typeof createHash>, path: string, bytes: number): void {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let off = 0;
    while (off < bytes) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, bytes - off), off);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      off += n;
    }
  } finally {
    closeSync(fd);
  }
}
