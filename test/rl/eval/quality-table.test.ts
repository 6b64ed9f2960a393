import { describe, expect, it } from "vitest";
import {
  formatQualityTable,
  formatTargets,
  qualityTargets,
  summarizeCell,
} from "../../../src/rl/eval/quality-table.js";

const cell = (robot: string, level: string, algo: string, scores: number[]) =>
  summarizeCell({ robot, level, algo, scores });

describe("quality table", () => {
  it("summarizes seeds as mean and population std", () => {
    const c = cell("pendulum", "medium", "iql", [10, 20, 30]);
    expect(c.mean).toBeCloseTo(20);
    expect(c.std).toBeCloseTo(Math.sqrt(200 / 3));
  });

  it("prints one row per dataset with the behavior score and mean ± std per algorithm", () => {
    const cells = [cell("pendulum", "medium", "iql", [40, 44]), cell("pendulum", "medium", "bc", [30, 30])];
    const text = formatQualityTable(cells, ["iql", "bc"], new Map([["pendulum-medium", 38.9]]));
    const [header, row] = text.split("\n");
    expect(header).toMatch(/dataset\s+behavior\s+iql\s+bc/);
    expect(row).toMatch(/pendulum-medium\s+38\.9\s+42\.0 ± 2\.0\s+30\.0 ± 0\.0/);
  });
});

describe("qualityTargets", () => {
  const behavior = new Map<string, number | null>([
    ["pendulum-medium", 40],
    ["reacher2-medium", 50],
  ]);

  it("passes an algorithm only when every robot passes", () => {
    const cells = [
      cell("pendulum", "medium-replay", "bc", [5]),
      cell("pendulum", "medium-replay", "iql", [15]), // exactly +10: passes
      cell("pendulum", "medium-replay", "awac", [14.9]),
      cell("reacher2", "medium-replay", "bc", [20]),
      cell("reacher2", "medium-replay", "iql", [31]),
      cell("reacher2", "medium-replay", "awac", [50]),
      cell("pendulum", "medium", "iql", [40]),
      cell("pendulum", "medium", "awac", [41]),
      cell("reacher2", "medium", "iql", [49.9]),
      cell("reacher2", "medium", "awac", [60]),
    ];
    const t = qualityTargets(cells, behavior);
    expect(t.medium_replay_beats_bc_by_10).toEqual({ iql: true, awac: false });
    expect(t.medium_matches_behavior).toEqual({ iql: false, awac: true });
    expect(formatTargets(t)).toBe(
      "medium_replay_beats_bc_by_10: iql yes, awac no\nmedium_matches_behavior: iql no, awac yes",
    );
  });

  it("is null (not a pass) when a cell the target needs was not run", () => {
    const cells = [cell("pendulum", "medium-replay", "iql", [30]), cell("pendulum", "medium", "iql", [50])];
    const t = qualityTargets(cells, new Map([["pendulum-medium", null]]));
    expect(t.medium_replay_beats_bc_by_10).toEqual({ iql: null, awac: null });
    expect(t.medium_matches_behavior).toEqual({ iql: null, awac: null });
  });
});
