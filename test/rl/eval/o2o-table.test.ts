/** The o2o table's arithmetic by hand: CORL's regret, the seed-then-episode bootstrap, the summary over seeds. */
import { describe, expect, it } from "vitest";
import {
  formatO2oTable,
  runRegret,
  seedEpisodeCI,
  summarizeO2o,
  type O2oRun,
} from "../../../src/rl/eval/o2o-table.js";

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

  it("bootstrap CI: a point when every episode agrees, around the mean of seed means otherwise", () => {
    expect(
      seedEpisodeCI([
        [3, 3],
        [3, 3, 3],
      ]),
    ).toEqual({ mean: 3, ci_low: 3, ci_high: 3 });
    const ci = seedEpisodeCI([
      [0, 10],
      [20, 30, 40],
    ]);
    // Mean of seed means, not of the pooled episodes: (5 + 30) / 2 = 17.5 (pooled: 20).
    expect(ci.mean).toBeCloseTo(17.5, 12);
    expect(ci.ci_low).toBeLessThan(ci.mean);
    expect(ci.ci_high).toBeGreaterThan(ci.mean);
    expect(ci.ci_low).toBeGreaterThanOrEqual(0);
    expect(ci.ci_high).toBeLessThanOrEqual(40);
    expect(seedEpisodeCI([[], []]).mean).toBeNaN();
    expect(() => seedEpisodeCI([[1, NaN]])).toThrow(/non-finite/);
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
});
