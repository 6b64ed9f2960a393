import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectViaLaunch } from "../../../src/nodes/recorder/collect-via-launch.js";
import { openDataset, readEpisodes } from "../../../src/data/dataset-reader.js";
import { loadRobot } from "../../../src/robot/load.js";

describe("collect via launch/record.launch.xml (sim_robot + behavior + recorder nodes)", () => {
  it("records the expert's episodes with expert-level returns and every topic present", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "tether-vialaunch-")), "ds");
    const lines: string[] = [];
    const r = await collectViaLaunch({
      robot: "pendulum",
      level: "expert",
      episodes: 2,
      out,
      seed: 4,
      quietMs: 300,
      log: (l) => lines.push(l),
    });
    expect(r.timed_out).toBe(false);
    const ds = openDataset(out);
    expect(ds.manifest.status).toBe("complete");
    expect(ds.manifest.counts.episodes).toBe(2);
    const { spec } = loadRobot("pendulum");
    const eps = [...readEpisodes(ds)];
    // sim_robot publishes the state after the last step before it resets, so every step is recorded.
    for (const ep of eps) expect(ep.steps).toBe(spec.control.max_episode_steps);
    const stats = r.recorder as {
      missing_topics: string[];
      stale_samples: number;
      dropped_non_finite: number;
    };
    expect(stats.missing_topics).toEqual([]);
    expect(stats.stale_samples).toBe(0);
    expect(stats.dropped_non_finite).toBe(0);
    const ref = spec.reference_returns!;
    for (const ep of eps) {
      const ret = ep.rewards.reduce((a, b) => a + b, 0);
      expect((100 * (ret - ref.random)) / (ref.expert - ref.random)).toBeGreaterThan(50);
    }
  });

  it("rejects levels the behavior node cannot run", async () => {
    await expect(
      collectViaLaunch({ robot: "pendulum", level: "medium-replay", episodes: 1, out: "/tmp/unused" }),
    ).rejects.toThrow(/"medium-replay" is not available with --via-launch/);
  });
});
