/**
 * Dataset reader: open (trusting a complete manifest, or recovering from the chunks after a crash),
 * stream episodes, and load contiguous Float32Array transition columns for training.
 *
 *   const ds = openDataset("logs/reacher-medium");      // ds.recovered, ds.droppedBytes
 *   for (const ep of readEpisodes(ds)) ...
 *   const train = loadTransitions(ds, { split: "train" });  // TransitionColumns
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { DatasetFormatError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import type { TransitionColumns } from "../core/transitions.js";
import { scanChunk, type FramedRecord } from "./chunk-file.js";
import { MANIFEST_FILE, readManifest, type Manifest } from "./manifest.js";
import { SCHEMA_VERSION, type ChunkHeaderRecord, type EpisodeRecord } from "./proto.js";
import {
  COLUMN_BYTES_SUPPORTED,
  decodeRecord,
  episodeColumnBytes,
  RecordDecodeError,
  type EpisodeColumnBytes,
} from "./record-codec.js";
import { StatsAccumulator } from "./statistics.js";

export interface DatasetChunk {
  file: string;
  path: string;
  /** Bytes of complete records to read. */
  bytes: number;
}

export interface OpenDataset {
  dir: string;
  manifest: Manifest;
  /** True when the manifest was missing or still "open" (the writer crashed) and was rebuilt from chunks. */
  recovered: boolean;
  /** Bytes of torn tail dropped during recovery (0 for a complete dataset). */
  droppedBytes: number;
  chunks: DatasetChunk[];
}

/** An episode with where it came from (for error messages and tools). */
export interface StoredEpisode extends EpisodeRecord {
  file: string;
  offset: number;
  /** Behavior label resolved against the chunk default. */
  label: string;
}

export function listChunkFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /^chunk-\d{5,}\.tds$/.test(f))
    .sort();
}

export function openDataset(dir: string): OpenDataset {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DatasetFormatError(dir, undefined, "dataset folder does not exist", {
      hint: "pass a folder written by `tether collect`, the recorder or `tether import`",
    });
  }
  const manifest = readManifest(dir);
  if (manifest && manifest.status === "complete") {
    const chunks = manifest.chunks.map((c) => {
      const path = join(dir, c.file);
      if (!existsSync(path))
        throw new DatasetFormatError(path, undefined, `chunk listed in ${MANIFEST_FILE} is missing`);
      const size = statSync(path).size;
      if (size < c.bytes) {
        throw new DatasetFormatError(
          path,
          size,
          `truncated: ${MANIFEST_FILE} says ${c.bytes} bytes, file has ${size}`,
          {
            hint: "the file was cut after the dataset was finalized; `tether dataset repair <dir>` keeps the complete records",
          },
        );
      }
      return { file: c.file, path, bytes: c.bytes };
    });
    return { dir, manifest, recovered: false, droppedBytes: 0, chunks };
  }
  return recoverDataset(dir, manifest);
}

/**
 * Rebuilds a manifest from the chunks alone: the crash-recovery path, and what `tether dataset repair`
 * persists. Only the last chunk may have a torn tail (earlier ones were fsync'ed before rotation).
 */
export function recoverDataset(dir: string, previous?: Manifest): OpenDataset {
  const files = listChunkFiles(dir);
  if (files.length === 0)
    throw new DatasetFormatError(dir, undefined, "no chunk files (chunk-NNNNN.tds) in the dataset folder");
  let header: ChunkHeaderRecord | undefined;
  let stats: StatsAccumulator | undefined;
  const chunks: DatasetChunk[] = [];
  const manifestChunks: Manifest["chunks"] = [];
  const labels: string[] = [];
  let droppedBytes = 0;
  let totalBytes = 0;
  files.forEach((file, i) => {
    const path = join(dir, file);
    const bytes = readFileSync(path);
    const scan = scanChunk(bytes, path, i === files.length - 1 ? "tolerant" : "strict");
    droppedBytes += scan.droppedBytes;
    if (scan.records.length === 0) return; // a chunk torn before its header reached the disk
    const h = chunkHeader(scan.records[0], path);
    if (header) checkSameLayout(header, h, path, scan.records[0].offset);
    else header = h;
    stats ??= new StatsAccumulator(h.obsDim, h.actDim);
    let episodes = 0;
    let transitions = 0;
    for (const ep of decodeEpisodes(scan.records, h, path)) {
      stats.addEpisode(ep);
      labels.push(ep.label);
      episodes++;
      transitions += ep.steps;
    }
    chunks.push({ file, path, bytes: scan.validBytes });
    manifestChunks.push({ file, bytes: scan.validBytes, episodes, transitions });
    totalBytes += scan.validBytes;
  });
  if (!header || !stats)
    throw new DatasetFormatError(join(dir, files[0]), 0, "no chunk holds a complete header record");
  const behaviors: Record<string, number> = {};
  for (const b of labels) behaviors[b] = (behaviors[b] ?? 0) + 1;
  const p = header.provenance;
  const manifest: Manifest = {
    format: "tether-dataset",
    formatVersion: SCHEMA_VERSION,
    status: "open",
    robot: p.robot,
    source: p.source,
    behavior: p.behavior,
    recorderVersion: p.recorderVersion,
    createdAt: p.createdAt,
    obsDim: header.obsDim,
    actDim: header.actDim,
    obsNames: header.obsNames,
    actNames: header.actNames,
    actionRanges: pairs(header.actionRanges),
    counts: { episodes: labels.length, transitions: stats.transitions, bytes: totalBytes },
    chunks: manifestChunks,
    contentHash: "",
    episodes: { returns: stats.returns, lengths: stats.lengths, behaviors: labels },
    behaviors,
    statistics: stats.result(),
    referenceReturns: previous?.referenceReturns,
  };
  return { dir, manifest, recovered: true, droppedBytes, chunks };
}

/** Streams every episode in writer order, checking CRCs and dims. */
export function* readEpisodes(dataset: OpenDataset | string): Generator<StoredEpisode> {
  const ds = typeof dataset === "string" ? openDataset(dataset) : dataset;
  let first: ChunkHeaderRecord | undefined;
  for (const c of ds.chunks) {
    const bytes = readChunkBytes(c);
    const scan = scanChunk(bytes, c.path, "strict");
    if (scan.records.length === 0) continue;
    const h = chunkHeader(scan.records[0], c.path);
    if (h.obsDim !== ds.manifest.obsDim || h.actDim !== ds.manifest.actDim) {
      throw new DatasetFormatError(
        c.path,
        scan.records[0].offset,
        `wrong dims: chunk header has obs ${h.obsDim} / act ${h.actDim}, manifest says obs ${ds.manifest.obsDim} / act ${ds.manifest.actDim}`,
      );
    }
    if (first) checkSameLayout(first, h, c.path, scan.records[0].offset);
    else first = h;
    yield* decodeEpisodes(scan.records, h, c.path);
  }
}

function readChunkBytes(c: DatasetChunk): Uint8Array {
  const all = readFileSync(c.path);
  return all.length === c.bytes ? all : all.subarray(0, c.bytes);
}

function* decodeEpisodes(
  records: FramedRecord[],
  h: ChunkHeaderRecord,
  file: string,
): Generator<StoredEpisode> {
  for (let i = 1; i < records.length; i++) {
    const rec = records[i];
    const decoded = decode(rec, file);
    if (decoded.kind !== "episode")
      throw new DatasetFormatError(file, rec.offset, "a second chunk header inside the chunk");
    const ep = decoded.episode;
    checkEpisodeDims(ep, h, file, rec.offset);
    yield Object.assign(ep, { file, offset: rec.offset, label: ep.behavior || h.provenance.behavior });
  }
}

function decode(rec: FramedRecord, file: string): ReturnType<typeof decodeRecord> {
  try {
    return decodeRecord(rec.payload);
  } catch (err) {
    if (err instanceof RecordDecodeError)
      throw new DatasetFormatError(file, rec.offset, `undecodable record: ${err.message}`, { cause: err });
    throw err;
  }
}

function chunkHeader(rec: FramedRecord, file: string): ChunkHeaderRecord {
  const d = decode(rec, file);
  if (d.kind !== "header")
    throw new DatasetFormatError(file, rec.offset, "first record is not a chunk header");
  const h = d.header;
  if (h.schemaVersion > SCHEMA_VERSION)
    throw new DatasetFormatError(
      file,
      rec.offset,
      `schema_version ${h.schemaVersion} is newer than this reader (${SCHEMA_VERSION})`,
      { hint: "upgrade tether" },
    );
  if (h.obsNames.length !== h.obsDim || h.actNames.length !== h.actDim) {
    throw new DatasetFormatError(
      file,
      rec.offset,
      `wrong dims: header names ${h.obsNames.length} observations / ${h.actNames.length} actions but obs_dim ${h.obsDim} / act_dim ${h.actDim}`,
    );
  }
  if (h.actionRanges.length !== 2 * h.actDim)
    throw new DatasetFormatError(
      file,
      rec.offset,
      `wrong dims: ${h.actionRanges.length} action range values for act_dim ${h.actDim} (expected ${2 * h.actDim})`,
    );
  return h;
}

function checkSameLayout(a: ChunkHeaderRecord, b: ChunkHeaderRecord, file: string, offset: number): void {
  if (
    a.obsDim !== b.obsDim ||
    a.actDim !== b.actDim ||
    a.obsNames.join() !== b.obsNames.join() ||
    a.actNames.join() !== b.actNames.join()
  ) {
    throw new DatasetFormatError(
      file,
      offset,
      `wrong dims: chunk layout obs ${b.obsDim} [${b.obsNames}] / act ${b.actDim} differs from the first chunk (obs ${a.obsDim} [${a.obsNames}] / act ${a.actDim})`,
    );
  }
}

/** What the dims check reads of an episode (decoded arrays, or byte views measured in elements). */
interface EpisodeShape {
  index: number;
  steps: number;
  observations: { length: number };
  actions: { length: number };
  actionsNormalized: { length: number };
  rewards: { length: number };
  terminals: { length: number };
  timeouts: { length: number };
  timestamps: { length: number };
}

function checkEpisodeDims(ep: EpisodeShape, h: ChunkHeaderRecord, file: string, offset: number): void {
  const T = ep.steps;
  const bad = (what: string, expected: number, actual: number): never => {
    throw new DatasetFormatError(
      file,
      offset,
      `wrong dims: episode ${ep.index} ${what} has ${actual} values, expected ${expected} (steps ${T}, obs_dim ${h.obsDim}, act_dim ${h.actDim})`,
    );
  };
  if (ep.observations.length !== (T + 1) * h.obsDim)
    bad("observations", (T + 1) * h.obsDim, ep.observations.length);
  if (ep.actions.length !== T * h.actDim) bad("actions", T * h.actDim, ep.actions.length);
  if (ep.actionsNormalized.length !== T * h.actDim)
    bad("actions_normalized", T * h.actDim, ep.actionsNormalized.length);
  if (ep.rewards.length !== T) bad("rewards", T, ep.rewards.length);
  if (ep.terminals.length !== T) bad("terminals", T, ep.terminals.length);
  if (ep.timeouts.length !== T) bad("timeouts", T, ep.timeouts.length);
  if (ep.timestamps.length !== 0 && ep.timestamps.length !== T + 1)
    bad("timestamps", T + 1, ep.timestamps.length);
}

function pairs(flat: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

export interface SplitOptions {
  /** "all" (default), "train" or "validation": split by whole episodes. */
  split?: "all" | "train" | "validation";
  /** Fraction of episodes held out for validation (default 0.1, at least one episode when there are two). */
  validationFraction?: number;
  /** Seed of the episode permutation (default 0): same seed, same split. */
  seed?: number;
}

/** 1 for each episode (in writer order) that belongs to the validation set. */
export function validationMask(episodes: number, fraction = 0.1, seed = 0): Uint8Array {
  const mask = new Uint8Array(episodes);
  if (episodes < 2 || fraction <= 0) return mask;
  const k = Math.min(episodes - 1, Math.max(1, Math.round(fraction * episodes)));
  const order = Array.from({ length: episodes }, (_, i) => i);
  const rng = new Rng(seed);
  for (let i = episodes - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (let i = 0; i < k; i++) mask[order[i]] = 1;
  return mask;
}

/**
 * Loads transitions into contiguous columns (actions normalized to [-1, 1]); nextObservations are the
 * following rows within each episode (the final row closes it). `episodes` holds the dataset episode index.
 */
export function loadTransitions(
  dataset: OpenDataset | string,
  options: SplitOptions = {},
): TransitionColumns {
  const ds = typeof dataset === "string" ? openDataset(dataset) : dataset;
  const { obsDim, actDim } = ds.manifest;
  const split = options.split ?? "all";
  const mask =
    split === "all"
      ? undefined
      : validationMask(ds.manifest.counts.episodes, options.validationFraction, options.seed);
  const keep = (i: number): boolean => !mask || (split === "validation" ? mask[i] === 1 : mask[i] === 0);
  let size = 0;
  ds.manifest.episodes.lengths.forEach((len, i) => {
    if (keep(i)) size += len;
  });
  const cols: TransitionColumns = {
    size,
    obsDim,
    actDim,
    observations: new Float32Array(size * obsDim),
    actions: new Float32Array(size * actDim),
    rewards: new Float32Array(size),
    nextObservations: new Float32Array(size * obsDim),
    terminals: new Uint8Array(size),
    timeouts: new Uint8Array(size),
    episodes: new Uint32Array(size),
  };
  const rows = { row: 0, episode: 0 };
  if (!fillColumnsFast(ds, cols, keep, rows)) {
    for (const ep of readEpisodes(ds)) {
      const index = rows.episode++;
      if (!keep(index)) continue;
      const T = ep.steps;
      if (rows.row + T > size) throw tooMany(ep.file, ep.offset, index, T);
      const row = rows.row;
      cols.observations.set(ep.observations.subarray(0, T * obsDim), row * obsDim);
      cols.nextObservations.set(ep.observations.subarray(obsDim, (T + 1) * obsDim), row * obsDim);
      cols.actions.set(ep.actionsNormalized, row * actDim);
      cols.rewards.set(ep.rewards, row);
      cols.terminals.set(ep.terminals, row);
      cols.timeouts.set(ep.timeouts, row);
      cols.episodes.fill(ep.index, row, row + T);
      rows.row += T;
    }
  }
  const row = rows.row;
  if (row !== size)
    throw new DatasetFormatError(
      join(ds.dir, MANIFEST_FILE),
      undefined,
      `manifest counts ${size} transitions, chunks hold ${row}`,
    );
  return cols;
}

function tooMany(file: string, offset: number, index: number, steps: number): DatasetFormatError {
  return new DatasetFormatError(
    file,
    offset,
    `episode ${index} has ${steps} steps, more than ${MANIFEST_FILE} counts`,
  );
}

/**
 * The fast path of loadTransitions: CRC-checked records, columns copied byte-for-byte from the record into
 * the column buffers (no per-episode arrays). Same checks as readEpisodes. False on big-endian hosts.
 */
function fillColumnsFast(
  ds: OpenDataset,
  cols: TransitionColumns,
  keep: (i: number) => boolean,
  rows: { row: number; episode: number },
): boolean {
  if (!COLUMN_BYTES_SUPPORTED) return false;
  const { obsDim, actDim } = cols;
  const obsBytes = new Uint8Array(cols.observations.buffer);
  const nextBytes = new Uint8Array(cols.nextObservations.buffer);
  const actBytes = new Uint8Array(cols.actions.buffer);
  const rewBytes = new Uint8Array(cols.rewards.buffer);
  let first: ChunkHeaderRecord | undefined;
  for (const c of ds.chunks) {
    const scan = scanChunk(readChunkBytes(c), c.path, "strict");
    if (scan.records.length === 0) continue;
    const h = chunkHeader(scan.records[0], c.path);
    if (h.obsDim !== obsDim || h.actDim !== actDim) {
      throw new DatasetFormatError(
        c.path,
        scan.records[0].offset,
        `wrong dims: chunk header has obs ${h.obsDim} / act ${h.actDim}, manifest says obs ${obsDim} / act ${actDim}`,
      );
    }
    if (first) checkSameLayout(first, h, c.path, scan.records[0].offset);
    else first = h;
    for (let k = 1; k < scan.records.length; k++) {
      const rec = scan.records[k];
      let e: EpisodeColumnBytes | undefined;
      try {
        e = episodeColumnBytes(rec.payload);
      } catch (err) {
        if (err instanceof RecordDecodeError)
          throw new DatasetFormatError(c.path, rec.offset, `undecodable record: ${err.message}`, {
            cause: err,
          });
        throw err;
      }
      if (!e) {
        throw new DatasetFormatError(c.path, rec.offset, "a second chunk header inside the chunk");
      }
      const T = e.steps;
      checkEpisodeDims(
        {
          index: e.index,
          steps: T,
          observations: { length: e.observations.length / 4 },
          actions: { length: T * actDim },
          actionsNormalized: { length: e.actionsNormalized.length / 4 },
          rewards: { length: e.rewards.length / 4 },
          terminals: e.terminals,
          timeouts: e.timeouts,
          timestamps: { length: 0 },
        },
        h,
        c.path,
        rec.offset,
      );
      const index = rows.episode++;
      if (!keep(index)) continue;
      if (rows.row + T > cols.size) throw tooMany(c.path, rec.offset, index, T);
      const row = rows.row;
      const rowBytes = obsDim * 4;
      obsBytes.set(e.observations.subarray(0, T * rowBytes), row * rowBytes);
      nextBytes.set(e.observations.subarray(rowBytes, (T + 1) * rowBytes), row * rowBytes);
      actBytes.set(e.actionsNormalized, row * actDim * 4);
      rewBytes.set(e.rewards, row * 4);
      cols.terminals.set(e.terminals, row);
      cols.timeouts.set(e.timeouts, row);
      cols.episodes.fill(e.index, row, row + T);
      rows.row += T;
    }
  }
  return true;
}

export interface EpisodeReturns {
  episodes: Uint32Array;
  returns: Float64Array;
  lengths: Uint32Array;
}

/** Per-episode returns of loaded columns, in row order. */
export function episodeReturns(cols: TransitionColumns): EpisodeReturns {
  const episodes: number[] = [];
  const returns: number[] = [];
  const lengths: number[] = [];
  for (let i = 0; i < cols.size; i++) {
    const e = cols.episodes[i];
    if (i === 0 || e !== cols.episodes[i - 1]) {
      episodes.push(e);
      returns.push(0);
      lengths.push(0);
    }
    returns[returns.length - 1] += cols.rewards[i];
    lengths[lengths.length - 1]++;
  }
  return {
    episodes: Uint32Array.from(episodes),
    returns: Float64Array.from(returns),
    lengths: Uint32Array.from(lengths),
  };
}
