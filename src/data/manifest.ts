/**
 * manifest.json: what a dataset is (robot, layout, provenance), what it holds (counts, chunk list with
 * valid byte lengths, per-episode returns) and its statistics. Written atomically (tmp + fsync + rename)
 * by the writer on close and by `tether dataset repair`; validated with zod when read.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, existsSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { DatasetFormatError } from "../core/errors.js";
import { SCHEMA_VERSION } from "./proto.js";
import type { DatasetStatistics } from "./statistics.js";

export const MANIFEST_FILE = "manifest.json";

const numbers = z.array(z.number());

export const ManifestSchema = z.object({
  format: z.literal("tether-dataset"),
  formatVersion: z.number().int().positive(),
  /** "open" while a writer has it; "complete" after close or repair. */
  status: z.enum(["open", "complete"]),
  robot: z.string(),
  source: z.string(),
  behavior: z.string(),
  recorderVersion: z.string(),
  createdAt: z.string(),
  finalizedAt: z.string().optional(),
  obsDim: z.number().int().nonnegative(),
  actDim: z.number().int().nonnegative(),
  obsNames: z.array(z.string()),
  actNames: z.array(z.string()),
  actionRanges: z.array(z.tuple([z.number(), z.number()])),
  counts: z.object({
    episodes: z.number().int().nonnegative(),
    transitions: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
  }),
  chunks: z.array(
    z.object({
      file: z.string(),
      bytes: z.number().int().nonnegative(),
      episodes: z.number().int().nonnegative(),
      transitions: z.number().int().nonnegative(),
    }),
  ),
  /** sha256 over the valid bytes of every chunk in order: the dataset identity policies record. */
  contentHash: z.string(),
  /** Per episode, in writer order. */
  episodes: z.object({
    returns: numbers,
    lengths: z.array(z.number().int()),
    behaviors: z.array(z.string()),
    /**
     * Episodes (positions in writer order) whose writer stopped before their end: only ever the last one.
     * Readers mark its last step as a timeout, or leave it out with `dropTruncated`. Absent: none.
     */
    truncated: z.array(z.number().int().nonnegative()).optional(),
  }),
  /** Behavior labels present and how many episodes each. */
  behaviors: z.record(z.string(), z.number().int()),
  statistics: z.any().optional(),
  /** Set by repair: bytes of torn tail that were not part of any complete record. */
  repair: z.object({ droppedBytes: z.number().int().nonnegative(), repairedAt: z.string() }).optional(),
  referenceReturns: z.object({ random: z.number(), expert: z.number() }).optional(),
});

export type Manifest = Omit<z.infer<typeof ManifestSchema>, "statistics"> & {
  statistics?: DatasetStatistics;
};

export function readManifest(dir: string): Manifest | undefined {
  const file = join(dir, MANIFEST_FILE);
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new DatasetFormatError(file, undefined, `not valid JSON: ${(err as Error).message}`, {
      cause: err,
      hint: "run `tether dataset repair <dir>` to rebuild it from the chunks",
    });
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DatasetFormatError(
      file,
      undefined,
      `field ${issue.path.join(".") || "(root)"}: ${issue.message}`,
      {
        hint: "run `tether dataset repair <dir>` to rebuild it from the chunks",
      },
    );
  }
  if (parsed.data.formatVersion > SCHEMA_VERSION) {
    throw new DatasetFormatError(
      file,
      undefined,
      `formatVersion ${parsed.data.formatVersion} is newer than this reader (${SCHEMA_VERSION})`,
      {
        hint: "upgrade tether",
      },
    );
  }
  return parsed.data as Manifest;
}

/** Atomic replace: readers see the old manifest or the new one, never half of one. */
export function writeManifest(dir: string, manifest: Manifest): void {
  const file = join(dir, MANIFEST_FILE);
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, JSON.stringify(manifest, null, 1) + "\n");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  syncDir(dir);
}

export function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Directory fsync is not supported everywhere (e.g. some network filesystems); the rename still happened.
  }
}
