/**
 * A synthetic but plausible RunSummary: IQL and BC trained offline, IQL fine-tuned, five stages with real
 * gate checks (evaluateGates), a canary that e-stops and rolls back, and user strings that need escaping.
 */
import { Rng } from "../../src/core/rng.js";
import { DEFAULT_GATES, evaluateGates, type StageEvidence } from "../../src/deploy/gates.js";
import type { Decision } from "../../src/deploy/ledger.js";
import type { Stage } from "../../src/deploy/stages.js";
import {
  RUN_SUMMARY_FORMAT,
  type MetricSeries,
  type RunSummary,
  type StageRecord,
} from "../../src/report/run-summary.js";

/** When each stage ran, in seconds since the run started (the canary e-stops at 91 s). */
const SPANS = [
  { start_s: 0, end_s: 8 },
  { start_s: 8, end_s: 24 },
  { start_s: 24, end_s: 70 },
  { start_s: 70, end_s: 84 },
  { start_s: 84, end_s: 96 },
];

export const NASTY = `<script>alert("x")</script>&'`;

function curve(
  rng: Rng,
  run: string,
  metric: string,
  steps: number,
  f: (t: number) => number,
  ci = 0,
): MetricSeries {
  const points = [];
  for (let i = 0; i <= steps; i++) {
    const step = i * 500;
    const value = f(i / steps) + rng.normal(0, 0.02 * (1 + Math.abs(f(i / steps))));
    points.push(ci > 0 ? { step, value, ci_low: value - ci, ci_high: value + ci } : { step, value });
  }
  return { run, metric, points };
}

function stage(
  stageName: Stage,
  version: string,
  evidence: StageEvidence,
  baselines: StageRecord["baselines"],
  rolledBackTo?: string,
): StageRecord {
  const checks = evaluateGates(stageName, DEFAULT_GATES[stageName], evidence);
  const passed = checks.every((c) => c.passed);
  const decision: Decision = passed ? "promote" : stageName === "canary" ? "rollback" : "hold";
  const rec: StageRecord = {
    time: "2026-11-24T00:10:00.000Z",
    stage: stageName,
    version,
    decision,
    checks,
    evidence,
    baselines,
  };
  if (rolledBackTo !== undefined) rec.rolled_back_to = rolledBackTo;
  return rec;
}

export function syntheticRun(seed = 1): RunSummary {
  const rng = new Rng(seed);
  const behavior = { mean: 48.2, ci_low: 44.9, ci_high: 51.3 };
  const bc = { mean: 50.1, ci_low: 46.0, ci_high: 54.2 };
  const gaps = (scale: number, n: number): number[] =>
    Array.from({ length: n }, () => Math.abs(rng.normal(0, scale)));
  return {
    format: RUN_SUMMARY_FORMAT,
    run_id: "iql-reacher2-s0-1a2b3c4d",
    robot: "reacher2",
    started: "2026-11-24T00:01:00.000Z",
    wall_time_s: 412.5,
    offline: [
      curve(rng, "iql", "loss/critic", 20, (t) => 40 * Math.exp(-6 * t) + 0.5),
      curve(rng, "iql", "loss/value", 20, (t) => 5 * Math.exp(-4 * t) + 0.1),
      curve(rng, "iql", "loss/actor", 20, (t) => 2 - 3 * t),
      curve(rng, "bc", "loss/actor", 20, (t) => 1.5 * Math.exp(-3 * t) - 0.5),
      curve(rng, "iql", "eval/normalized_score", 10, (t) => 20 + 50 * (1 - Math.exp(-3 * t)), 4),
      curve(rng, "bc", "eval/normalized_score", 10, (t) => 20 + 30 * (1 - Math.exp(-4 * t)), 4),
    ],
    finetune: [curve(rng, "iql-finetune", "eval/normalized_score", 12, (t) => 68 + 10 * t, 3)],
    stages: [
      stage("offline-eval", "v0", { estops: 0, support_gap: 0.18 }, undefined),
      stage(
        "sim-eval",
        "v0",
        {
          score: { mean: 67.5, ci_low: 63.1, ci_high: 71.8 },
          behavior_score: 48.2,
          estops: 0,
          support_gap: 0.18,
        },
        { behavior, bc },
      ),
      stage(
        "sim-finetune",
        "v1",
        { score: { mean: 77.9, ci_low: 74.0, ci_high: 81.5 }, behavior_score: 48.2, estops: 0 },
        { behavior, bc },
      ),
      stage("shadow", "v1", { estops: 0, support_gap: 0.22, agreement: 0.71 }, undefined),
      stage(
        "canary",
        "v1",
        {
          score: { mean: 61.0, ci_low: 52.0, ci_high: 70.0 },
          behavior_score: 48.2,
          estops: 1,
          deadline_miss_ratio: 0,
        },
        { behavior, bc },
        "v0",
      ),
    ].map((s, i) => ({ ...s, span: SPANS[i] })),
    support_gap: [
      { policy: "iql", values: gaps(0.2, 300) },
      { policy: "bc", values: gaps(0.12, 300) },
    ],
    support_gap_threshold: 0.5,
    safety_events: [
      {
        monitor: "joint_limits",
        limit: 2.6,
        observed: 2.63,
        stamp: 31.2,
        severity: "warn",
        message: "shoulder near limit",
        stage: "sim-finetune",
      },
      {
        monitor: "support_gap",
        limit: 0.5,
        observed: 0.61,
        stamp: 44.0,
        severity: "warn",
        message: "rolling gap above limit",
        stage: "sim-finetune",
      },
      {
        monitor: "rate_limit",
        limit: 0.2,
        observed: 0.35,
        stamp: { sec: 90, nanosec: 500_000_000 },
        severity: "error",
        message: "command jump clipped",
        stage: "canary",
      },
      {
        monitor: "estop",
        limit: null,
        observed: null,
        stamp: 91.0,
        severity: "estop",
        message: `e-stop latched: ${NASTY}`,
        stage: "canary",
      },
    ],
    paths: {
      model: "models/iql-reacher2",
      datasets: ["logs/record-reacher2-behavior"],
      run_logs: ["logs/iql-reacher2-s0-1a2b3c4d/canary.mcap"],
    },
  };
}
