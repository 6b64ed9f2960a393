import { readFileSync, statSync, truncateSync, writeFileSync, appendFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Rng } from "../../src/core/rng.js";
import { DatasetWriter } from "../../src/data/dataset-writer.js";
import { loadTransitions, openDataset, readEpisodes } from "../../src/data/dataset-reader.js";
import { readManifest } from "../../src/data/manifest.js";
import { repairDataset } from "../../src/data/repair.js";
import { LAYOUT, longEpisodeStep, randomEpisode, tempDir } from "./helpers.js";
import { runAndKill } from "./kill-child.js";

const CHILD = fileURLToPath(new URL("./fixtures/crash-writer.ts", import.meta.url));
const STEP_CHILD = fileURLToPath(new URL("./fixtures/crash-step-writer.ts", import.meta.url));

describe("crash recovery", () => {
  it("recovers every episode fsync'ed before a SIGKILL of a real writer process, then repairs", async () => {
    const dir = tempDir("tether-crash-");
    const { episodes: durable } = await runAndKill(CHILD, [dir], (d) => d.episodes >= 60);
    expect(durable).toBeGreaterThanOrEqual(60);
    expect(readManifest(dir)?.status).toBe("open");

    const ds = openDataset(dir);
    expect(ds.recovered).toBe(true);
    const eps = [...readEpisodes(ds)];
    expect(eps.length).toBeGreaterThanOrEqual(durable);
    eps.forEach((ep, i) => {
      const expected = randomEpisode(new Rng(i), 10 + (i % 7));
      expect(ep.index).toBe(i);
      expect(ep.observations).toEqual(expected.observations);
      expect(ep.rewards).toEqual(expected.rewards);
    });

    const chunkBytesBefore = ds.chunks.map((c) => statSync(c.path).size);
    const result = repairDataset(dir);
    expect(result.repaired).toBe(true);
    expect(result.manifest.status).toBe("complete");
    expect(result.manifest.counts.episodes).toBe(eps.length);
    // Repair never rewrites chunk files.
    expect(ds.chunks.map((c) => statSync(c.path).size)).toEqual(chunkBytesBefore);
    const again = openDataset(dir);
    expect(again.recovered).toBe(false);
    expect(loadTransitions(again).size).toBe(eps.reduce((a, e) => a + e.steps, 0));
    expect(repairDataset(dir).repaired).toBe(false);
  });

  it("recovers the fsync'ed steps of one long episode in progress, bit-identical, as a truncated episode", async () => {
    const dir = tempDir("tether-crash-steps-");
    const { episodes, steps: durable } = await runAndKill(STEP_CHILD, [dir], (d) => d.steps >= 3000);
    expect(episodes).toBe(0);
    expect(durable).toBeGreaterThanOrEqual(3000);

    const ds = openDataset(dir);
    expect(ds.recovered).toBe(true);
    expect(ds.chunks.length).toBeGreaterThan(1); // the episode spans chunk files
    const eps = [...readEpisodes(ds)];
    expect(eps.length).toBe(1);
    const [ep] = eps;
    const T = ep.steps;
    expect(T).toBeGreaterThanOrEqual(durable);
    expect(ep.truncated).toBe(true);
    // Bit-identical: every value as float32 of what the child appended (timestamps as float64).
    const expected = Array.from({ length: T + 1 }, (_, t) => longEpisodeStep(t));
    expect(ep.observations).toEqual(Float32Array.from(expected.flatMap((s) => s.observation)));
    expect(ep.actions).toEqual(Float32Array.from(expected.slice(0, T).flatMap((s) => s.action)));
    expect(ep.rewards).toEqual(Float32Array.from(expected.slice(0, T).map((s) => s.reward)));
    expect(ep.timestamps).toEqual(Float64Array.from(expected.map((s) => s.timestamp)));
    expect(ep.terminals.every((v) => v === 0)).toBe(true);
    expect(ep.timeouts.indexOf(1)).toBe(T - 1);

    const cols = loadTransitions(ds);
    expect(cols.size).toBe(T);
    expect(cols.nextObservations.subarray((T - 1) * 3)).toEqual(ep.observations.subarray(T * 3));
    expect(cols.timeouts[T - 1]).toBe(1);
    expect(loadTransitions(ds, { dropTruncated: true }).size).toBe(0);
    expect([...readEpisodes(ds, { dropTruncated: true })].length).toBe(0);

    const result = repairDataset(dir);
    expect(result.manifest.status).toBe("complete");
    expect(result.manifest.episodes.truncated).toEqual([0]);
    expect(result.manifest.counts).toMatchObject({ episodes: 1, transitions: T });
    expect(result.manifest.episodes.lengths).toEqual([T]);
    const again = openDataset(dir);
    expect(again.recovered).toBe(false);
    expect(loadTransitions(again).observations).toEqual(cols.observations);
  });
});

async function smallDataset(episodes = 6): Promise<string> {
  const dir = tempDir();
  const w = await DatasetWriter.create(dir, LAYOUT);
  const rng = new Rng(5);
  for (let i = 0; i < episodes; i++) w.appendEpisode(randomEpisode(rng, 8));
  await w.close();
  return dir;
}

/** Makes the dataset look like its writer died: the manifest is back to "open". */
function reopen(dir: string): void {
  const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  m.status = "open";
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(m));
}

describe("bad input", () => {
  it("reports the dropped bytes of a torn tail and keeps every complete record", async () => {
    const dir = await smallDataset();
    const chunk = join(dir, "chunk-00000.tds");
    const size = statSync(chunk).size;
    reopen(dir);
    truncateSync(chunk, size - 30);
    const ds = openDataset(dir);
    expect(ds.recovered).toBe(true);
    expect(ds.manifest.counts.episodes).toBe(5);
    const lastRecord = size - ds.chunks[0].bytes;
    expect(ds.droppedBytes).toBe(lastRecord - 30);
    const r = repairDataset(dir);
    expect(r.manifest.repair?.droppedBytes).toBe(lastRecord - 30);
    expect(loadTransitions(dir).size).toBe(40);
  });

  it("rejects a truncated chunk of a finalized dataset, naming the file and offset", async () => {
    const dir = await smallDataset();
    const chunk = join(dir, "chunk-00000.tds");
    const size = statSync(chunk).size;
    truncateSync(chunk, size - 10);
    expect(() => openDataset(dir)).toThrow(new RegExp(`chunk-00000\\.tds @${size - 10}: truncated`));
  });

  it("rejects a corrupt record (CRC) with file and offset, without touching the file", async () => {
    const dir = await smallDataset();
    const chunk = join(dir, "chunk-00000.tds");
    const bytes = readFileSync(chunk);
    const ds = openDataset(dir);
    const second = [...readEpisodes(ds)][1].offset;
    bytes[second + 40] ^= 0xff;
    writeFileSync(chunk, bytes);
    expect(() => [...readEpisodes(dir)]).toThrow(new RegExp(`chunk-00000\\.tds @${second}: CRC32C mismatch`));
    expect(readFileSync(chunk)).toEqual(bytes);
    // Corruption in the middle is not a torn tail: recovery refuses too instead of silently dropping data.
    reopen(dir);
    expect(() => openDataset(dir)).toThrow(/CRC32C mismatch/);
  });

  it("rejects a chunk whose dims disagree with the manifest", async () => {
    const dir = await smallDataset();
    const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    m.obsDim = 4;
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(m));
    expect(() => [...readEpisodes(dir)]).toThrow(/chunk-00000\.tds @8: wrong dims: chunk header has obs 3/);
  });

  it("rejects an episode record whose arrays disagree with the header dims", async () => {
    const dir = tempDir();
    const w = await DatasetWriter.create(dir, LAYOUT);
    await w.close();
    // Append a well-framed episode written for a 2-dim observation to the 3-dim dataset.
    const other = tempDir();
    const w2 = await DatasetWriter.create(other, { ...LAYOUT, obsNames: ["a", "b"] });
    w2.appendEpisode({ observations: new Float32Array(6), actions: new Float32Array(4), rewards: [0, 0] });
    await w2.close();
    const otherBytes = readFileSync(join(other, "chunk-00000.tds"));
    const ds2 = openDataset(other);
    const epOffset = [...readEpisodes(ds2)][0].offset;
    const chunk = join(dir, "chunk-00000.tds");
    const at = statSync(chunk).size;
    appendFileSync(chunk, otherBytes.subarray(epOffset));
    reopen(dir);
    expect(() => openDataset(dir)).toThrow(
      new RegExp(`@${at}: wrong dims: episode 0 observations has 6 values, expected 9`),
    );
    // The same record in a dataset whose manifest claims it is whole: the loading fast path rejects it too.
    const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    m.status = "complete";
    m.chunks[0].bytes = statSync(chunk).size;
    m.counts = { ...m.counts, episodes: 1, transitions: 2 };
    m.episodes = { returns: [0], lengths: [2], behaviors: ["random"] };
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(m));
    expect(() => loadTransitions(dir)).toThrow(
      new RegExp(`@${at}: wrong dims: episode 0 observations has 6 values, expected 9`),
    );
  });

  it("rejects a file that is not a chunk and a malformed manifest", async () => {
    const dir = await smallDataset();
    const chunk = join(dir, "chunk-00000.tds");
    writeFileSync(chunk, Buffer.alloc(statSync(chunk).size, 0x41));
    expect(() => [...readEpisodes(dir)]).toThrow(/chunk-00000\.tds @0: not a Tether chunk/);
    writeFileSync(join(dir, "manifest.json"), JSON.stringify({ format: "tether-dataset" }));
    expect(() => openDataset(dir)).toThrow(/manifest\.json: field formatVersion/);
    writeFileSync(join(dir, "manifest.json"), "{");
    expect(() => openDataset(dir)).toThrow(/manifest\.json: not valid JSON/);
  });

  it("rejects a missing folder", () => {
    expect(() => openDataset("/nonexistent/tether-ds")).toThrow(/dataset folder does not exist/);
  });
});
