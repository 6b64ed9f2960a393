/**
 * Checkpoints: `checkpoint.json` (algorithm, step, array index, scalars, sampler RNG position) +
 * `checkpoint.bin` (all arrays, float32 little-endian). Written to temp files and renamed, so a crash or a
 * diverged update never leaves a half-written checkpoint: the last good one stays readable.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, DatasetFormatError } from "../core/errors.js";
import type { StateDict } from "./algos/learner.js";
import { isAlgoName } from "./algos/registry.js";

export const CHECKPOINT_JSON = "checkpoint.json";
export const CHECKPOINT_BIN = "checkpoint.bin";

interface CheckpointIndex {
  format: "tether-checkpoint";
  version: 1;
  algo: string;
  step: number;
  scalars: Record<string, number>;
  arrays: { name: string; offset: number; length: number }[];
  bytes: number;
  /** Anything the trainer wants back on resume (sampler seed position, metrics so far). */
  extra: Record<string, unknown>;
}

export function saveCheckpoint(dir: string, state: StateDict, extra: Record<string, unknown> = {}): void {
  const names = Object.keys(state.arrays).sort();
  let floats = 0;
  const arrays = names.map((name) => {
    const entry = { name, offset: floats * 4, length: state.arrays[name].length };
    floats += entry.length;
    return entry;
  });
  const buf = Buffer.alloc(floats * 4);
  const view = new Float32Array(buf.buffer, buf.byteOffset, floats);
  for (const a of arrays) view.set(state.arrays[a.name], a.offset / 4);
  const index: CheckpointIndex = {
    format: "tether-checkpoint",
    version: 1,
    algo: state.algo,
    step: state.step,
    scalars: state.scalars,
    arrays,
    bytes: buf.length,
    extra,
  };
  const tmpBin = join(dir, `${CHECKPOINT_BIN}.tmp-${process.pid}`);
  const tmpJson = join(dir, `${CHECKPOINT_JSON}.tmp-${process.pid}`);
  writeFileSync(tmpBin, buf);
  writeFileSync(tmpJson, JSON.stringify(index, null, 1) + "\n");
  renameSync(tmpBin, join(dir, CHECKPOINT_BIN));
  renameSync(tmpJson, join(dir, CHECKPOINT_JSON));
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, CHECKPOINT_JSON)) && existsSync(join(dir, CHECKPOINT_BIN));
}

export function loadCheckpoint(dir: string): { state: StateDict; extra: Record<string, unknown> } {
  const jsonFile = join(dir, CHECKPOINT_JSON);
  const binFile = join(dir, CHECKPOINT_BIN);
  if (!hasCheckpoint(dir))
    throw new ConfigError(jsonFile, "(file)", "no checkpoint to resume from", {
      hint: "run without --resume first",
    });
  let index: CheckpointIndex;
  try {
    index = JSON.parse(readFileSync(jsonFile, "utf8")) as CheckpointIndex;
  } catch (err) {
    throw new ConfigError(jsonFile, "(file)", "checkpoint index is not valid JSON", { cause: err });
  }
  if (index.format !== "tether-checkpoint")
    throw new ConfigError(jsonFile, "format", "not a tether checkpoint", {
      expected: "tether-checkpoint",
      actual: String(index.format),
    });
  if (!isAlgoName(index.algo)) throw new ConfigError(jsonFile, "algo", `unknown algorithm "${index.algo}"`);
  const buf = readFileSync(binFile);
  if (buf.length !== index.bytes)
    throw new DatasetFormatError(
      binFile,
      buf.length,
      `checkpoint data has ${buf.length} bytes, index says ${index.bytes}`,
    );
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  const arrays: Record<string, Float32Array> = {};
  for (const a of index.arrays) {
    if (a.offset + a.length * 4 > buf.length)
      throw new DatasetFormatError(binFile, a.offset, `array ${a.name} runs past the end of the file`);
    arrays[a.name] = all.slice(a.offset / 4, a.offset / 4 + a.length);
  }
  return {
    state: { algo: index.algo, step: index.step, arrays, scalars: index.scalars },
    extra: index.extra ?? {},
  };
}
