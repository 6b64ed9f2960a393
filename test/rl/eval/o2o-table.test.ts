/**
 * The o2o table's arithmetic by hand: CORL's regret, the summary over seeds (its seed-then-episode CI is
 * bootstrapSeedEpisodeCI's, tested in bootstrap.test.ts).
 */
import { describe, expect, it } from "vitest";
import { formatO2oTable, runRegret, summarizeO2o, type O2oRun } from "../../../src/rl/eval/o2o-table.js";

const point = (env_step: number, scores: number[]) => ({
  env_step,
  score: scores.reduce((a, b) => a + b, 0) / scores.length,
  scores,
});

describe("o2o table", () => {
  it("regret: mean over the evaluations after step 0 of 1 - score/100, unclipped", () => {
    // (1 - 0.8) and (1 - 1.1): 0.2 and -0.1, mean 0.05; the step-0 score (50) is the offline policy's.
    expect(runRegret([point(0, [50]), point(10, [80]), point(20, [110])])).toBeCloseTo(0.05, 12);
    expect(runRegret([point(0, [50])])).toBeNaN();
  });

  it("summarizes seeds: offline = step 0, online = the last evaluation, regret averaged, e-stops counted", () => {
    const runs: O2oRun[] = [
      { seed: 0, curve: [point(0, [40, 60]), point(5, [70, 70]), point(10, [90, 90])], estop_step: null },
      { seed: 1, curve: [point(0, [20, 20]), point(5, [50, 50])], estop_step: 7 },
    ];
    const cell = summarizeO2o("pendulum", "iql", runs, true);
    expect(cell.offline_score).toBeCloseTo((50 + 20) / 2, 12);
    // Seed 1 e-stopped at step 7: its online score is its last completed evaluation (step 5).
    expect(cell.online_score).toBeCloseTo((90 + 50) / 2, 12);
    expect(cell.seeds.map((s) => s.online_env_step)).toEqual([10, 5]);
    // Seed 0: (0.3 + 0.1) / 2 = 0.2; seed 1: 0.5; mean 0.35.
    expect(cell.regret).toBeCloseTo(0.35, 12);
    expect(cell.estops).toBe(1);
    expect(cell.offline_ci[0]).toBeLessThanOrEqual(cell.offline_score);
    expect(cell.online_ci[1]).toBeGreaterThanOrEqual(cell.online_score);
    expect(summarizeO2o("r", "iql", runs, false).regret).toBeNull();
    const table = formatO2oTable([cell]).split("\n");
    expect(table[0]).toMatch(
      /^robot\s+algo\s+offline \(95% CI\)\s+online \(95% CI\)\s+change\s+regret\s+estops$/,
    );
    expect(table[1]).toMatch(/^pendulum\s+iql\s+35\.0 \[.*\]\s+70\.0 \[.*\]\s+35\.0\s+0\.35\s+1\/2$/);
  });

  it("leaves out seeds without an online evaluation, gives NaN when none has one, and refuses non-finite scores", () => {
    const early: O2oRun = { seed: 2, curve: [point(0, [30, 50])], estop_step: 3 };
    const late: O2oRun = { seed: 3, curve: [point(0, [10, 30]), point(5, [60, 80])], estop_step: null };
    const cell = summarizeO2o("pendulum", "iql", [early, late], true);
    expect(cell.offline_score).toBeCloseTo((40 + 20) / 2, 12);
    expect(cell.online_score).toBeCloseTo(70, 12);
    expect(cell.online_ci[0]).toBeGreaterThanOrEqual(60);
    expect(cell.online_ci[1]).toBeLessThanOrEqual(80);
    const none = summarizeO2o("pendulum", "iql", [early], true);
    expect(none.online_score).toBeNaN();
    expect(none.online_ci).toEqual([NaN, NaN]);
    expect(() =>
      summarizeO2o("pendulum", "iql", [{ seed: 0, curve: [point(0, [1, NaN])], estop_step: null }], true),
    ).toThrow(/bootstrap samples of seed group 0\[1\] is NaN/);
  });
});
