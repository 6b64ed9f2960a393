import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registerBenchQuality } from "../../../src/cli/bench/quality.js";
import {
  checkQualityDataset,
  qualityDatasetDir,
  qualityScale,
} from "../../../src/cli/bench/quality-scale.js";
import { ConfigError } from "../../../src/core/errors.js";
import { loadRobot } from "../../../src/robot/load.js";
import { benchJson } from "./bench-json.js";

describe("bench quality scale", () => {
  it("takes each robot's benchmark section, filling in the defaults where it has none", () => {
    expect(qualityScale(loadRobot("reacher2").spec, {})).toEqual({
      dataset_episodes: 100,
      hidden: [64, 64],
      steps: 10_000,
    });
    expect(qualityScale(loadRobot("pusher").spec, {})).toEqual({
      dataset_episodes: 1000,
      hidden: [256, 256],
      steps: 20_000,
    });
  });

  it("lets each flag win over the robot's value on its own", () => {
    expect(qualityScale(loadRobot("pusher").spec, { steps: 50 })).toEqual({
      dataset_episodes: 1000,
      hidden: [256, 256],
      steps: 50,
    });
    expect(qualityScale(loadRobot("pusher").spec, { dataset_episodes: 3, hidden: [8] })).toEqual({
      dataset_episodes: 3,
      hidden: [8],
      steps: 20_000,
    });
  });

  it("keeps datasets of different sizes in different folders", () => {
    expect(qualityDatasetDir("/d", "pusher", "medium-replay", 1000)).toBe("/d/pusher-medium-replay-1000ep");
    expect(qualityDatasetDir("/d", "pusher", "medium-replay", 100)).not.toBe(
      qualityDatasetDir("/d", "pusher", "medium-replay", 1000),
    );
  });

  const manifest = {
    robot: "pusher",
    behavior: "medium",
    counts: { episodes: 100, transitions: 1, bytes: 1 },
  };
  const want = { robot: "pusher", level: "medium", episodes: 100 };

  it("accepts the dataset it would have collected", () => {
    expect(() => checkQualityDataset(manifest, "m.json", want)).not.toThrow();
  });

  it("rejects a dataset of another size, naming the file, the field and both counts", () => {
    const check = () => checkQualityDataset(manifest, "logs/x/manifest.json", { ...want, episodes: 1000 });
    expect(check).toThrow(ConfigError);
    expect(check).toThrow(/logs\/x\/manifest\.json: counts\.episodes: .*\(expected 1000, got 100\)/);
  });

  it("rejects a dataset of another level or robot", () => {
    expect(() => checkQualityDataset(manifest, "m.json", { ...want, level: "expert" })).toThrow(
      /m\.json: behavior: .*\(expected expert, got medium\)/,
    );
    expect(() => checkQualityDataset(manifest, "m.json", { ...want, robot: "reacher2" })).toThrow(
      /m\.json: robot: .*\(expected reacher2, got pusher\)/,
    );
  });
});

describe("tether bench quality --json (tiny budget)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tether-quality-test-"));
  const plot = join(mkdtempSync(join(tmpdir(), "tether-quality-plot-")), "quality.svg");
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(plot, { force: true });
  });

  it("collects datasets at the asked size, trains and evaluates every cell, reports the scale and draws the chart", async () => {
    const args = ["quality", "--robots", "pendulum", "--levels", "medium,medium-replay", "--algos", "bc,iql"];
    const budget = ["--seeds", "2", "--steps", "20", "--hidden", "8,8", "--dataset-episodes", "3"];
    const last = await benchJson(registerBenchQuality, [
      ...args,
      ...budget,
      "--eval-episodes",
      "2",
      "--data-dir",
      dataDir,
      "--plot",
      plot,
      "--json",
    ]);
    expect(readdirSync(dataDir).sort()).toEqual(["pendulum-medium-3ep", "pendulum-medium-replay-3ep"]);
    expect(last.scale).toEqual({ pendulum: { dataset_episodes: 3, hidden: [8, 8], steps: 20 } });
    expect(last.cells.map((c: { dataset: string; algo: string }) => `${c.dataset} ${c.algo}`)).toEqual([
      "pendulum-medium bc",
      "pendulum-medium iql",
      "pendulum-medium-replay bc",
      "pendulum-medium-replay iql",
    ]);
    for (const c of last.cells) {
      expect(c.scores).toHaveLength(2);
      for (const s of c.scores) expect(Number.isFinite(s)).toBe(true);
    }
    expect(Number.isFinite(last.behavior["pendulum-medium"])).toBe(true);
    // IQL ran on medium, so it has a verdict; AWAC did not run, so its verdict is missing, not a pass.
    expect(typeof last.targets.medium_matches_behavior.iql).toBe("boolean");
    expect(last.targets.medium_matches_behavior.awac).toBeNull();
    const svg = readFileSync(plot, "utf8");
    expect(svg).toMatch(/^<svg/);
    for (const label of ["pendulum", "medium-replay", "iql", "bc"]) expect(svg).toContain(`>${label}<`);
  }, 120_000);
});
