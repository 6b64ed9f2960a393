import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadTransitions, openDataset, readEpisodes } from "../../../src/data/dataset-reader.js";
import { repairDataset } from "../../../src/data/repair.js";
import { runAndKill } from "../../data/kill-child.js";
import { longEpisodeRobot, startLongRecording } from "./fixtures/long-episode.js";

const CHILD = fileURLToPath(new URL("./fixtures/crash-recorder.ts", import.meta.url));

describe("recorder node killed with SIGKILL in the middle of one long episode", () => {
  it("loses none of the steps its writer had fsync'ed: they come back bit-identical, truncated", async () => {
    const root = mkdtempSync(join(tmpdir(), "tether-rec-crash-"));
    const out = join(root, "ds");
    const durable = await runAndKill(CHILD, [root, out], (d) => d.steps >= 1500);
    expect(durable.episodes).toBe(0); // still inside the first episode
    expect(durable.steps).toBeGreaterThanOrEqual(1500);

    const [ep, ...rest] = [...readEpisodes(openDataset(out))];
    expect(rest).toEqual([]);
    expect(ep.truncated).toBe(true);
    const T = ep.steps;
    expect(T).toBeGreaterThanOrEqual(durable.steps);

    // The same messages recorded in-process to the end: the recovered episode is its exact prefix.
    const refOut = join(root, "reference");
    const ref = await startLongRecording(longEpisodeRobot(mkdtempSync(join(root, "r-"))), refOut, 0);
    for (let k = 0; k < T + 5; k++) ref.tick(k);
    await ref.close();
    const [full] = [...readEpisodes(refOut)];
    const obsDim = ep.observations.length / (T + 1);
    const actDim = ep.actions.length / T;
    expect(ep.observations).toEqual(full.observations.subarray(0, (T + 1) * obsDim));
    expect(ep.actions).toEqual(full.actions.subarray(0, T * actDim));
    expect(ep.actionsNormalized).toEqual(full.actionsNormalized.subarray(0, T * actDim));
    expect(ep.rewards).toEqual(full.rewards.subarray(0, T));
    expect(ep.timestamps).toEqual(full.timestamps.subarray(0, T + 1));
    expect(ep.timeouts.indexOf(1)).toBe(T - 1);
    expect(ep.label).toBe("teleop");

    const repaired = repairDataset(out).manifest;
    expect(repaired.episodes.truncated).toEqual([0]);
    expect(loadTransitions(out).size).toBe(T);
  });
});
