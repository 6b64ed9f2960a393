import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { collectDataset, levelParts } from "../../src/cli/commands/collect.js";
import { loadTransitions, openDataset, readEpisodes } from "../../src/data/dataset-reader.js";
import { tempDir } from "./helpers.js";

describe("collected dataset levels", () => {
  it("orders mean returns random < medium < expert (pendulum)", async () => {
    const root = tempDir("tether-collect-");
    const means: Record<string, number> = {};
    for (const level of ["random", "medium", "expert"] as const) {
      const s = await collectDataset({
        robot: "pendulum",
        level,
        episodes: 3,
        out: join(root, level),
        seed: 3,
        workers: 0,
      });
      expect(s.episodes).toBe(3);
      means[level] = s.mean_return;
    }
    expect(means.random).toBeLessThan(means.medium);
    expect(means.medium).toBeLessThan(means.expert);

    // The stored data is consistent with the robot layout and with the returns in the manifest.
    const ds = openDataset(join(root, "expert"));
    expect(ds.manifest.robot).toBe("pendulum");
    const cols = loadTransitions(ds);
    let sum = 0;
    for (let i = 0; i < cols.size; i++) sum += cols.rewards[i];
    expect(sum / 3).toBeCloseTo(means.expert, 2);
    for (const v of cols.actions) expect(Math.abs(v)).toBeLessThanOrEqual(1);
  });

  it("labels medium-expert halves and ramps medium-replay quality", async () => {
    const root = tempDir("tether-collect-");
    await collectDataset({
      robot: "pendulum",
      level: "medium-expert",
      episodes: 4,
      out: join(root, "me"),
      seed: 1,
      workers: 0,
    });
    const me = openDataset(join(root, "me"));
    expect(me.manifest.episodes.behaviors).toEqual(["medium", "medium", "expert", "expert"]);
    expect(me.manifest.behaviors).toEqual({ medium: 2, expert: 2 });
    await collectDataset({
      robot: "pendulum",
      level: "medium-replay",
      episodes: 3,
      out: join(root, "mr"),
      seed: 1,
      workers: 0,
    });
    const q = [...readEpisodes(join(root, "mr"))].map((e) => e.quality);
    expect(q).toEqual([0, 0.25, 0.5]);
    expect(levelParts("medium-expert", 5, 0).map((p) => p.episodes)).toEqual([3, 2]);
  });
});
