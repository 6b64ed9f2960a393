import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Rng } from "../../src/core/rng.js";
import { DatasetWriter } from "../../src/data/dataset-writer.js";
import {
  episodeReturns,
  loadTransitions,
  openDataset,
  readEpisodes,
  validationMask,
} from "../../src/data/dataset-reader.js";
import { readManifest } from "../../src/data/manifest.js";
import { LAYOUT, randomEpisode, tempDir } from "./helpers.js";

async function writeEpisodes(dir: string, lengths: number[], chunkBytes?: number) {
  const rng = new Rng(42);
  const eps = lengths.map((n) => randomEpisode(rng, n));
  const w = await DatasetWriter.create(dir, { ...LAYOUT, chunkBytes });
  for (const e of eps) w.appendEpisode(e);
  const manifest = await w.close();
  return { eps, manifest };
}

describe("DatasetWriter -> reader round trip", () => {
  it("reads back every episode value, with provenance and names in the manifest", async () => {
    const dir = tempDir();
    const { eps, manifest } = await writeEpisodes(dir, [5, 1, 9, 0, 4]);
    expect(manifest.status).toBe("complete");
    expect(manifest.counts).toMatchObject({ episodes: 5, transitions: 19 });
    expect(manifest.obsNames).toEqual(["x", "y", "vx"]);
    expect(manifest.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const read = [...readEpisodes(dir)];
    expect(read.map((e) => e.steps)).toEqual([5, 1, 9, 0, 4]);
    read.forEach((r, i) => {
      expect(r.observations).toEqual(eps[i].observations);
      expect(r.actions).toEqual(eps[i].actions);
      expect(r.rewards).toEqual(eps[i].rewards);
      expect(r.terminals).toEqual(eps[i].terminals);
      expect(r.timestamps).toEqual(Float64Array.from(eps[i].timestamps));
      expect(r.label).toBe("random");
    });
  });

  it("normalizes actions with the actuator ranges and clips out-of-range commands", async () => {
    const dir = tempDir();
    const w = await DatasetWriter.create(dir, LAYOUT);
    w.appendEpisode({ observations: new Float32Array(9), actions: [2, 5, -4, 12], rewards: [0, 1] });
    await w.close();
    const cols = loadTransitions(dir);
    expect(Array.from(cols.actions)).toEqual([1, 0, -1, 1]);
    const [ep] = [...readEpisodes(dir)];
    expect(Array.from(ep.actions)).toEqual([2, 5, -4, 12]);
  });

  it("loads contiguous columns with nextObservations taken within each episode", async () => {
    const dir = tempDir();
    const { eps } = await writeEpisodes(dir, [3, 2]);
    const cols = loadTransitions(dir);
    expect(cols.size).toBe(5);
    expect(Array.from(cols.episodes)).toEqual([0, 0, 0, 1, 1]);
    // Row 2 is the last step of episode 0: its next observation is that episode's final row (index 3).
    expect(cols.nextObservations.subarray(6, 9)).toEqual(eps[0].observations.subarray(9, 12));
    // Row 3 starts episode 1: its observation is episode 1's first row, not episode 0's final row.
    expect(cols.observations.subarray(9, 12)).toEqual(eps[1].observations.subarray(0, 3));
    expect(cols.terminals[2] + cols.timeouts[2]).toBe(1);
    const ret = episodeReturns(cols);
    expect(ret.returns[1]).toBeCloseTo(eps[1].rewards[0] + eps[1].rewards[1], 5);
  });

  it("rotates chunks by size and reads them in order", async () => {
    const dir = tempDir();
    const { manifest } = await writeEpisodes(dir, Array(12).fill(20), 1500);
    expect(manifest.chunks.length).toBeGreaterThan(3);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tds")).length).toBe(manifest.chunks.length);
    expect(loadTransitions(dir).size).toBe(240);
    expect([...readEpisodes(dir)].map((e) => e.index)).toEqual([...Array(12).keys()]);
  });

  it("splits train/validation by whole episodes, deterministic per seed", async () => {
    const dir = tempDir();
    await writeEpisodes(dir, Array(20).fill(3));
    const train = loadTransitions(dir, { split: "train", validationFraction: 0.2, seed: 1 });
    const val = loadTransitions(dir, { split: "validation", validationFraction: 0.2, seed: 1 });
    expect(train.size + val.size).toBe(60);
    expect(val.size).toBe(12);
    const trainEps = new Set(train.episodes);
    for (const e of val.episodes) expect(trainEps.has(e)).toBe(false);
    expect(validationMask(20, 0.2, 1)).toEqual(validationMask(20, 0.2, 1));
  });

  it("computes observation mean/std and action quantiles matching a direct computation", async () => {
    const dir = tempDir();
    await writeEpisodes(dir, [50, 70, 30]);
    const cols = loadTransitions(dir);
    const s = readManifest(dir)!.statistics!;
    for (let d = 0; d < 3; d++) {
      let m = 0;
      for (let i = 0; i < cols.size; i++) m += cols.observations[i * 3 + d];
      m /= cols.size;
      let v = 0;
      for (let i = 0; i < cols.size; i++) v += (cols.observations[i * 3 + d] - m) ** 2;
      expect(s.observation.mean[d]).toBeCloseTo(m, 6);
      expect(s.observation.std[d]).toBeCloseTo(Math.sqrt(v / cols.size), 6);
    }
    const a0 = Array.from({ length: cols.size }, (_, i) => cols.actions[i * 2]).sort((a, b) => a - b);
    const median = a0[Math.floor(cols.size / 2)];
    expect(Math.abs(s.action.values[0][s.action.levels.indexOf(0.5)] - median)).toBeLessThan(0.02);
    expect(s.action.values[0][0]).toBe(a0[0]);
  });

  it("records step by step with appendStep/endEpisode", async () => {
    const dir = tempDir();
    const w = await DatasetWriter.create(dir, LAYOUT);
    for (let t = 0; t < 4; t++)
      w.appendStep({ observation: [t, t, t], action: [0, 5], reward: t, timestamp: t });
    w.endEpisode({ finalObservation: [9, 9, 9], terminal: false, timeout: true, finalTimestamp: 4 });
    w.appendStep({ observation: [1, 1, 1], action: [0, 5], reward: 1 });
    await w.close(); // the unfinished one-step episode has no complete transition: nothing is kept
    const eps = [...readEpisodes(dir)];
    expect(eps.length).toBe(1);
    expect(Array.from(eps[0].timeouts)).toEqual([0, 0, 0, 1]);
    expect(Array.from(eps[0].observations.subarray(12))).toEqual([9, 9, 9]);
    expect(Array.from(eps[0].timestamps)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe("DatasetWriter rejects bad input", () => {
  it("rejects wrong observation and action lengths with the expected sizes", async () => {
    const w = await DatasetWriter.create(tempDir(), LAYOUT);
    expect(() =>
      w.appendEpisode({ observations: new Float32Array(8), actions: new Float32Array(4), rewards: [0, 0] }),
    ).toThrow(/observations.*expected 9, got 8/);
    expect(() =>
      w.appendEpisode({ observations: new Float32Array(9), actions: new Float32Array(3), rewards: [0, 0] }),
    ).toThrow(/actions.*expected 4, got 3/);
    await w.close();
  });

  it("rejects NaN and Inf values", async () => {
    const w = await DatasetWriter.create(tempDir(), LAYOUT);
    expect(() =>
      w.appendEpisode({ observations: new Float32Array(9), actions: [0, 0, 0, 0], rewards: [0, NaN] }),
    ).toThrow(/rewards\[1\] is NaN/);
    await w.close();
  });

  it("refuses to write into a non-empty folder (never overwrites)", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "keep.txt"), "x");
    await expect(DatasetWriter.create(dir, LAYOUT)).rejects.toThrow(/not empty/);
    expect(readFileSync(join(dir, "keep.txt"), "utf8")).toBe("x");
  });

  it("refuses appends after close", async () => {
    const w = await DatasetWriter.create(tempDir(), LAYOUT);
    await w.close();
    expect(() => w.appendEpisode({ observations: new Float32Array(3), actions: [], rewards: [] })).toThrow(
      /closed/,
    );
  });
});

describe("openDataset", () => {
  it("opens a complete dataset without recovery", async () => {
    const dir = tempDir();
    await writeEpisodes(dir, [2]);
    const ds = openDataset(dir);
    expect(ds.recovered).toBe(false);
    expect(ds.droppedBytes).toBe(0);
  });
});
