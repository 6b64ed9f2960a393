import { cpSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Rng } from "../../src/core/rng.js";
import { DatasetWriter } from "../../src/data/dataset-writer.js";
import {
  episodeReturns,
  loadTransitions,
  openDataset,
  readEpisodes,
  type StoredEpisode,
} from "../../src/data/dataset-reader.js";
import { summarizeDataset } from "../../src/data/dataset-info.js";
import { FragmentSequence } from "../../src/data/episode-fragments.js";
import { readManifest, type Manifest } from "../../src/data/manifest.js";
import { repairDataset } from "../../src/data/repair.js";
import { scanChunk } from "../../src/data/chunk-file.js";
import { LAYOUT, longEpisodeStep, randomEpisode, tempDir } from "./helpers.js";

const V1_FIXTURE = fileURLToPath(new URL("./fixtures/v1-dataset", import.meta.url));
const LONG = 1000;

/** Whole episodes before and after one LONG-step episode; `fragmentEvery` flushes mid-episode (0: never). */
async function writeDataset(dir: string, fragmentEvery: number[]): Promise<Manifest> {
  const w = await DatasetWriter.create(dir, { ...LAYOUT, chunkBytes: 8 * 1024 });
  const rng = new Rng(9);
  w.appendEpisode(randomEpisode(rng, 7));
  let next = 0;
  for (let t = 0; t < LONG; t++) {
    w.appendStep(longEpisodeStep(t));
    if (t === fragmentEvery[next]) {
      w.flush();
      next++;
    }
  }
  const end = longEpisodeStep(LONG);
  w.endEpisode({
    finalObservation: end.observation,
    finalTimestamp: end.timestamp,
    terminal: true,
    timeout: false,
    termination: "fell",
    behavior: "expert",
    quality: 0.5,
    seed: 77,
  });
  w.appendEpisode(randomEpisode(rng, 5));
  return w.close();
}

function records(dir: string, manifest: Manifest): number {
  return manifest.chunks.reduce(
    (n, c) => n + scanChunk(readFileSync(join(dir, c.file)), c.file, "strict").records.length - 1,
    0,
  );
}

const data = (ep: StoredEpisode) => {
  const { file: _f, offset: _o, ...rest } = ep;
  return rest;
};

describe("episodes written in fragments", () => {
  it("read back exactly like the same episode written in one piece, on every reading path", async () => {
    const whole = tempDir();
    const split = tempDir();
    const wm = await writeDataset(whole, []);
    // Irregular cuts, including right after the first step and just before the end.
    const cuts = [0, 1, 2, 50, 333, 334, 700, LONG - 2];
    const sm = await writeDataset(split, cuts);
    expect(records(whole, wm)).toBe(3);
    expect(records(split, sm)).toBeGreaterThan(3 + 5); // the long episode really is in fragments
    expect(sm.chunks.length).toBeGreaterThan(2); // ... spread over several chunk files

    expect([...readEpisodes(split)].map(data)).toEqual([...readEpisodes(whole)].map(data));
    const a = loadTransitions(whole);
    const b = loadTransitions(split);
    expect(b).toEqual(a);
    expect(episodeReturns(b)).toEqual(episodeReturns(a));
    expect(sm.statistics).toEqual(wm.statistics);
    expect(sm.episodes).toEqual(wm.episodes);
    expect(sm.counts.transitions).toBe(wm.counts.transitions);
    expect(sm.behaviors).toEqual({ random: 2, expert: 1 });
    // Recovery from the chunks alone gives the writer's figures.
    const repaired = repairDataset(split, { force: true }).manifest;
    expect(repaired.statistics).toEqual(sm.statistics);
    expect(repaired.episodes).toEqual(sm.episodes);
    expect(repaired.chunks).toEqual(sm.chunks);
    expect(repaired.contentHash).toBe(sm.contentHash);
  });

  it("write only the new steps at each flush (nothing of the episode is written twice)", async () => {
    const dir = tempDir();
    const w = await DatasetWriter.create(dir, LAYOUT);
    const chunk = join(dir, "chunk-00000.tds");
    const growth: number[] = [];
    let t = 0;
    for (let f = 0; f < 40; f++) {
      const before = statSync(chunk).size;
      for (let k = 0; k < 25; k++) w.appendStep(longEpisodeStep(t++));
      w.flush();
      growth.push(statSync(chunk).size - before);
    }
    await w.close();
    // 25 new steps per flush: the 40th flush writes what the 2nd did (only first_step's varint grows).
    expect(Math.abs(growth[39] - growth[1])).toBeLessThanOrEqual(2);
    // close() flushed all but the last step (which has no next observation): the episode is kept truncated.
    expect(w.durableSteps).toBe(999);
  });

  it("keep an episode that close() finds unfinished, truncated, with the manifest repair would write", async () => {
    const dir = tempDir();
    const w = await DatasetWriter.create(dir, LAYOUT);
    w.appendEpisode(randomEpisode(new Rng(1), 4));
    for (let t = 0; t < 30; t++) w.appendStep(longEpisodeStep(t));
    w.flush();
    expect(w.durableSteps).toBe(29);
    for (let t = 30; t < 50; t++) w.appendStep(longEpisodeStep(t));
    const m = await w.close();
    // 50 steps appended; the 50th has no next observation, so 49 transitions remain.
    expect(m.episodes.truncated).toEqual([1]);
    expect(m.episodes.lengths).toEqual([4, 49]);
    const eps = [...readEpisodes(dir)];
    expect(eps.map((e) => e.truncated)).toEqual([false, true]);
    expect(eps[1].timeouts[48]).toBe(1);
    expect(eps[1].terminals[48]).toBe(0);
    expect(eps[1].label).toBe("random");
    expect(loadTransitions(dir).size).toBe(53);
    // Dropping the truncated episode keeps the split of the others: masks are drawn over all episodes.
    expect(loadTransitions(dir, { dropTruncated: true }).size).toBe(4);
    expect([...readEpisodes(dir, { dropTruncated: true })].length).toBe(1);
    const r = repairDataset(dir, { force: true }).manifest;
    expect(r.episodes).toEqual(m.episodes);
    expect(r.statistics).toEqual(m.statistics);
    expect(r.counts).toEqual(m.counts);
    expect(r.contentHash).toBe(m.contentHash);
    expect(summarizeDataset(openDataset(dir)).truncated_episodes).toBe(1);
  });

  it("refuse appendEpisode during an episode in progress, and a bad step changes nothing", async () => {
    const dir = tempDir();
    const w = await DatasetWriter.create(dir, LAYOUT);
    w.appendStep(longEpisodeStep(0));
    expect(() => w.appendEpisode(randomEpisode(new Rng(2), 3))).toThrow(
      /episode 0 is in progress \(1 steps from appendStep\): call endEpisode\(\)/,
    );
    expect(() => w.appendStep({ ...longEpisodeStep(1), reward: NaN })).toThrow(/episode 0 step 1 reward/);
    expect(() => w.appendStep({ ...longEpisodeStep(1), observation: [0, 1e39, 0] })).toThrow(
      /episode 0 step 1 observation\[1\]/,
    );
    expect(w.openSteps).toBe(1);
    w.appendStep(longEpisodeStep(1));
    w.endEpisode({ finalObservation: [0, 0, 0], terminal: false, timeout: true });
    await w.close();
    const [ep] = [...readEpisodes(dir)];
    expect(ep.steps).toBe(2);
    expect(Array.from(ep.rewards)).toEqual([0, 1].map((t) => Math.fround(longEpisodeStep(t).reward)));
  });

  it("name the file and offset when a fragment is missing or the manifest disagrees about truncation", async () => {
    const seq = new FragmentSequence();
    const at = (index: number, firstStep: number, steps: number, continues: boolean, offset: number) => ({
      index,
      firstStep,
      steps,
      continues,
      file: "chunk-00000.tds",
      offset,
    });
    expect(seq.add(at(0, 0, 5, false, 8))).toBe(0);
    expect(seq.add(at(1, 0, 5, true, 100))).toBe(1);
    expect(() => seq.add(at(1, 9, 5, true, 200))).toThrow(
      /chunk-00000\.tds @200: episode 1 is unfinished at step 5, but this record is episode 1 from step 9/,
    );
    expect(() => new FragmentSequence().add(at(3, 4, 1, false, 50))).toThrow(
      /@50: fragment of episode 3 starts at step 4 with no earlier fragment/,
    );

    const dir = tempDir();
    const w = await DatasetWriter.create(dir, LAYOUT);
    for (let t = 0; t < 10; t++) w.appendStep(longEpisodeStep(t));
    await w.close();
    const file = join(dir, "manifest.json");
    const m = JSON.parse(readFileSync(file, "utf8"));
    delete m.episodes.truncated;
    writeFileSync(file, JSON.stringify(m));
    expect(() => loadTransitions(dir)).toThrow(
      /manifest\.json: episodes\.truncated lists \[\], the chunks end inside episode 0/,
    );
  });
});

describe("version-1 datasets", () => {
  it("still read: episodes, transitions and a repaired manifest", () => {
    const dir = tempDir();
    cpSync(V1_FIXTURE, dir, { recursive: true });
    const m = readManifest(dir)!;
    expect(m.formatVersion).toBe(1);
    const eps = [...readEpisodes(dir)];
    expect(eps.map((e) => e.steps)).toEqual([5, 0, 9, 3, 4]);
    eps.slice(0, 4).forEach((ep, i) => {
      const expected = randomEpisode(new Rng(100 + i), ep.steps);
      expect(ep.observations).toEqual(expected.observations);
      expect(ep.rewards).toEqual(expected.rewards);
      expect(ep.seed).toBe(i + 1);
      expect(ep.truncated).toBe(false);
    });
    expect(eps[4].label).toBe("expert");
    expect(eps[4].termination).toBe("fell");
    expect(Array.from(eps[4].terminals)).toEqual([0, 0, 0, 1]);
    const cols = loadTransitions(dir);
    expect(cols.size).toBe(21);
    expect(Array.from(episodeReturns(cols).lengths)).toEqual([5, 9, 3, 4]);
    const r = repairDataset(dir, { force: true }).manifest;
    expect(r.formatVersion).toBe(2);
    expect(r.episodes).toEqual(m.episodes);
    expect(r.counts).toEqual(m.counts);
    expect(r.contentHash).toBe(m.contentHash);
  });
});
