/**
 * Dataset reader: open (trusting a complete manifest, or recovering from the chunks after a crash),
 * stream episodes, and load contiguous Float32Array transition columns for training.
 *
 *   const ds = openDataset("logs/reacher-medium");      // ds.recovered, ds.droppedBytes
 *   for (const ep of readEpisodes(ds)) ...
 *   const train = loadTransitions(ds, { split: "train" });  // TransitionColumns
 *
 * Episodes written in fragments (format version 2) are joined back: every path returns exactly what the
 * same episode written in one piece returns. A trailing episode whose writer died before its last fragment
 * comes back truncated (timeout on its last step, `truncated: true`), or is left out with `dropTruncated`.
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
import { FragmentSequence, joinFragments } from "./episode-fragments.js";

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
  /** The writer died (or closed) before the episode's end: its last step is marked as a timeout. */
  truncated: boolean;
}

export interface ReadOptions {
  /** Leave out a trailing episode whose writer died before its end (default: keep it, truncated). */
  dropTruncated?: boolean;
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
  const chunks: DatasetChunk[] = [];
  let droppedBytes = 0;
  files.forEach((file, i) => {
    const path = join(dir, file);
    const scan = scanChunk(readFileSync(path), path, i === files.length - 1 ? "tolerant" : "strict");
    droppedBytes += scan.droppedBytes;
    if (scan.records.length === 0) return; // a chunk torn before its header reached the disk
    const h = chunkHeader(scan.records[0], path);
    if (header) checkSameLayout(header, h, path, scan.records[0].offset);
    else header = h;
    chunks.push({ file, path, bytes: scan.validBytes });
  });
  if (!header)
    throw new DatasetFormatError(join(dir, files[0]), 0, "no chunk holds a complete header record");
  const stats = new StatsAccumulator(header.obsDim, header.actDim);
  const manifestChunks: Manifest["chunks"] = chunks.map((c) => ({
    file: c.file,
    bytes: c.bytes,
    episodes: 0,
    transitions: 0,
  }));
  const labels: string[] = [];
  const truncated: number[] = [];
  for (const { episode, endChunk } of stitchedEpisodes(chunks, header)) {
    stats.addEpisode(episode);
    if (episode.truncated) truncated.push(labels.length);
    labels.push(episode.label);
    manifestChunks[endChunk].episodes++;
    manifestChunks[endChunk].transitions += episode.steps;
  }
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
    counts: {
      episodes: labels.length,
      transitions: stats.transitions,
      bytes: chunks.reduce((n, c) => n + c.bytes, 0),
    },
    chunks: manifestChunks,
    contentHash: "",
    episodes: {
      returns: stats.returns,
      lengths: stats.lengths,
      behaviors: labels,
      ...(truncated.length ? { truncated } : {}),
    },
    behaviors,
    statistics: stats.result(),
    referenceReturns: previous?.referenceReturns,
  };
  return { dir, manifest, recovered: true, droppedBytes, chunks };
}

/** Streams every episode in writer order (fragments joined), checking CRCs and dims. */
export function* readEpisodes(
  dataset: OpenDataset | string,
  options: ReadOptions = {},
): Generator<StoredEpisode> {
  const ds = typeof dataset === "string" ? openDataset(dataset) : dataset;
  for (const { episode } of stitchedEpisodes(ds.chunks, ds.manifest)) {
    if (episode.truncated && options.dropTruncated) continue;
    yield episode;
  }
}

/** The chunks' records in order with their chunk header, layout-checked against `layout`. */
function* chunkRecords(
  chunks: DatasetChunk[],
  layout: { obsDim: number; actDim: number },
): Generator<{ rec: FramedRecord; header: ChunkHeaderRecord; chunk: number; file: string }> {
  let first: ChunkHeaderRecord | undefined;
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i];
    const scan = scanChunk(readChunkBytes(c), c.path, "strict");
    if (scan.records.length === 0) continue;
    const h = chunkHeader(scan.records[0], c.path);
    if (h.obsDim !== layout.obsDim || h.actDim !== layout.actDim) {
      throw new DatasetFormatError(
        c.path,
        scan.records[0].offset,
        `wrong dims: chunk header has obs ${h.obsDim} / act ${h.actDim}, manifest says obs ${layout.obsDim} / act ${layout.actDim}`,
      );
    }
    if (first) checkSameLayout(first, h, c.path, scan.records[0].offset);
    else first = h;
    for (let k = 1; k < scan.records.length; k++)
      yield { rec: scan.records[k], header: h, chunk: i, file: c.path };
  }
}

/** Whole episodes (fragments joined) with the index of the chunk each one ends in. */
function* stitchedEpisodes(
  chunks: DatasetChunk[],
  layout: { obsDim: number; actDim: number },
): Generator<{ episode: StoredEpisode; endChunk: number }> {
  const sequence = new FragmentSequence();
  let parts: EpisodeRecord[] = [];
  let start = { file: "", offset: 0 };
  let label = "";
  let endChunk = 0;
  let lastHeader: ChunkHeaderRecord | undefined;
  const stored = (truncated: boolean): StoredEpisode =>
    Object.assign(joinFragments(parts, truncated), { ...start, label, truncated });
  for (const { rec, header, chunk, file } of chunkRecords(chunks, layout)) {
    const decoded = decode(rec, file);
    if (decoded.kind !== "episode")
      throw new DatasetFormatError(file, rec.offset, "a second chunk header inside the chunk");
    const ep = decoded.episode;
    checkEpisodeDims(ep, header, file, rec.offset);
    sequence.add({ ...ep, file, offset: rec.offset });
    if (parts.length === 0) start = { file, offset: rec.offset };
    parts.push(ep);
    endChunk = chunk;
    lastHeader = header;
    if (ep.continues) continue;
    label = ep.behavior || header.provenance.behavior;
    yield { episode: stored(false), endChunk };
    parts = [];
  }
  if (sequence.trailing() && lastHeader) {
    label = lastHeader.provenance.behavior; // the end, and with it any behavior override, never arrived
    yield { episode: stored(true), endChunk };
  }
}

function readChunkBytes(c: DatasetChunk): Uint8Array {
  const all = readFileSync(c.path);
  return all.length === c.bytes ? all : all.subarray(0, c.bytes);
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

export interface SplitOptions extends ReadOptions {
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
 * Splits are drawn over all episodes, so dropping a truncated one never moves another across the split.
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
  const truncated = new Set(ds.manifest.episodes.truncated ?? []);
  const keep = (i: number): boolean =>
    !(options.dropTruncated && truncated.has(i)) &&
    (!mask || (split === "validation" ? mask[i] === 1 : mask[i] === 0));
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
  const rows = COLUMN_BYTES_SUPPORTED ? fillColumnsFast(ds, cols, keep) : fillColumns(ds, cols, keep);
  if (rows.row !== size)
    throw new DatasetFormatError(
      join(ds.dir, MANIFEST_FILE),
      undefined,
      `manifest counts ${size} transitions, chunks hold ${rows.row}`,
    );
  const trailing = rows.trailing;
  if (
    (trailing === undefined ? 0 : 1) !== truncated.size ||
    (trailing !== undefined && !truncated.has(trailing))
  )
    throw new DatasetFormatError(
      join(ds.dir, MANIFEST_FILE),
      undefined,
      `episodes.truncated lists [${[...truncated]}], the chunks end ${trailing === undefined ? "with a finished episode" : `inside episode ${trailing}`}`,
      { hint: "run `tether dataset repair --force <dir>` to rebuild the manifest from the chunks" },
    );
  return cols;
}

/** Rows filled, and the ordinal of the trailing unfinished episode if the chunks end inside one. */
interface Filled {
  row: number;
  trailing: number | undefined;
}

/** The portable path of loadTransitions (big-endian hosts): through decoded, joined episodes. */
function fillColumns(ds: OpenDataset, cols: TransitionColumns, keep: (i: number) => boolean): Filled {
  const { obsDim, actDim } = cols;
  let row = 0;
  let ordinal = 0;
  let trailing: number | undefined;
  for (const ep of readEpisodes(ds)) {
    const index = ordinal++;
    if (ep.truncated) trailing = index;
    if (!keep(index)) continue;
    const T = ep.steps;
    if (row + T > cols.size) throw tooMany(ep.file, ep.offset, index, T);
    cols.observations.set(ep.observations.subarray(0, T * obsDim), row * obsDim);
    cols.nextObservations.set(ep.observations.subarray(obsDim, (T + 1) * obsDim), row * obsDim);
    cols.actions.set(ep.actionsNormalized, row * actDim);
    cols.rewards.set(ep.rewards, row);
    cols.terminals.set(ep.terminals, row);
    cols.timeouts.set(ep.timeouts, row);
    cols.episodes.fill(ep.index, row, row + T);
    row += T;
  }
  return { row, trailing };
}

function tooMany(file: string, offset: number, index: number, steps: number): DatasetFormatError {
  return new DatasetFormatError(
    file,
    offset,
    `episode ${index} has ${steps} steps, more than ${MANIFEST_FILE} counts`,
  );
}

/**
 * The fast path of loadTransitions: CRC-checked records, columns copied byte-for-byte from each record
 * (episode or fragment) into the column buffers, no per-episode arrays. Same checks as readEpisodes.
 * Little-endian hosts only.
 */
function fillColumnsFast(ds: OpenDataset, cols: TransitionColumns, keep: (i: number) => boolean): Filled {
  const { obsDim, actDim } = cols;
  const obsBytes = new Uint8Array(cols.observations.buffer);
  const nextBytes = new Uint8Array(cols.nextObservations.buffer);
  const actBytes = new Uint8Array(cols.actions.buffer);
  const rewBytes = new Uint8Array(cols.rewards.buffer);
  const sequence = new FragmentSequence();
  let row = 0;
  for (const { rec, header, file } of chunkRecords(ds.chunks, cols)) {
    let e: EpisodeColumnBytes | undefined;
    try {
      e = episodeColumnBytes(rec.payload);
    } catch (err) {
      if (err instanceof RecordDecodeError)
        throw new DatasetFormatError(file, rec.offset, `undecodable record: ${err.message}`, { cause: err });
      throw err;
    }
    if (!e) throw new DatasetFormatError(file, rec.offset, "a second chunk header inside the chunk");
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
      header,
      file,
      rec.offset,
    );
    const index = sequence.add({ ...e, file, offset: rec.offset });
    if (!keep(index)) continue;
    if (row + T > cols.size) throw tooMany(file, rec.offset, index, e.firstStep + T);
    const rowBytes = obsDim * 4;
    obsBytes.set(e.observations.subarray(0, T * rowBytes), row * rowBytes);
    nextBytes.set(e.observations.subarray(rowBytes, (T + 1) * rowBytes), row * rowBytes);
    actBytes.set(e.actionsNormalized, row * actDim * 4);
    rewBytes.set(e.rewards, row * 4);
    cols.terminals.set(e.terminals, row);
    cols.timeouts.set(e.timeouts, row);
    cols.episodes.fill(e.index, row, row + T);
    row += T;
  }
  const trailing = sequence.trailing();
  // The truncated episode's last step is a timeout (see joinFragments).
  if (trailing && trailing.steps > 0 && keep(trailing.ordinal)) cols.timeouts[row - 1] = 1;
  return { row, trailing: trailing?.ordinal };
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
