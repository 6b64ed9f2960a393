import { describe, expect, it } from "vitest";
import {
  MAX_EVENT_MARKS,
  MAX_POINTS_PER_SERIES,
  offlineLossChart,
  safetyTimelineChart,
  stageScoreRows,
} from "../../src/report/charts.js";
import type { SafetyEventRecord } from "../../src/report/run-summary.js";
import { syntheticRun } from "./fixture.js";

/** The inline data rows of a chart spec. */
function values(spec: unknown): Record<string, unknown>[] {
  return (spec as { data: { values: Record<string, unknown>[] } }).data.values;
}

describe("chart specs", () => {
  it("thins a long series to at most MAX_POINTS_PER_SERIES points, keeping the first and last", () => {
    const run = syntheticRun();
    const points = Array.from({ length: 12_345 }, (_, i) => ({ step: i, value: Math.sin(i / 100) }));
    run.offline = [{ run: "iql", metric: "loss/critic", points }];
    const rows = values(offlineLossChart(run)?.spec);
    expect(rows.length).toBeLessThanOrEqual(MAX_POINTS_PER_SERIES);
    expect(rows.length).toBeGreaterThan(MAX_POINTS_PER_SERIES / 2);
    expect(rows[0].step).toBe(0);
    expect(rows.at(-1)?.step).toBe(12_344);
  });

  it("drops non-finite points instead of drawing them", () => {
    const run = syntheticRun();
    run.offline = [
      {
        run: "bc",
        metric: "loss/actor",
        points: [
          { step: 0, value: 1 },
          { step: 1, value: Number.NaN },
          { step: 2, value: Number.POSITIVE_INFINITY },
          { step: 3, value: 0.5 },
        ],
      },
    ];
    expect(values(offlineLossChart(run)?.spec).map((r) => r.step)).toEqual([0, 3]);
  });

  it("caps the timeline at MAX_EVENT_MARKS, keeping the most severe events and saying so", () => {
    const run = syntheticRun();
    const warn = (i: number): SafetyEventRecord => ({
      monitor: "rate_limit",
      limit: 0.2,
      observed: 0.3,
      stamp: i * 0.01,
      severity: "warn",
      message: "clipped",
    });
    const estop: SafetyEventRecord = { ...warn(0), monitor: "estop", stamp: 99, severity: "estop" };
    run.safety_events = [...Array.from({ length: MAX_EVENT_MARKS + 500 }, (_, i) => warn(i)), estop];
    const chart = safetyTimelineChart(run);
    // The events are the last layer (stage bands come first).
    const rows = values((chart?.spec as { layer: unknown[] }).layer.at(-1));
    expect(rows).toHaveLength(MAX_EVENT_MARKS);
    expect(rows.filter((r) => r.severity === "estop")).toHaveLength(1);
    expect(chart?.caption).toContain(`${MAX_EVENT_MARKS} most severe of ${MAX_EVENT_MARKS + 501}`);
  });

  it("compares each stage's policy score with behavior and BC, falling back to the ledger's behavior score", () => {
    const run = syntheticRun();
    run.stages[1].baselines = undefined; // sim-eval: only evidence.behavior_score (48.2) is left
    const rows = stageScoreRows(run).filter((r) => r.stage === "sim-eval");
    expect(rows.map((r) => r.who)).toEqual(["policy under test", "behavior"]);
    expect(rows[1]).toMatchObject({ mean: 48.2, ci_low: 48.2, ci_high: 48.2 });
    expect(rows[0]).toMatchObject({ mean: 67.5, ci_low: 63.1, ci_high: 71.8 });
  });
});
