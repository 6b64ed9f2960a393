/**
 * RunSummary: everything the run report shows, as plain data (numbers, strings, arrays). The demo
 * orchestrator fills it while a run goes; `writeRunReport` saves it as logs/<run>/run-summary.json next to
 * report.html, and `tether report <run-dir>` rebuilds the page from that file alone.
 *
 * Scores are D4RL normalized scores (0 = random policy, 100 = expert, per robot.yaml reference_returns).
 * Confidence intervals are 95% (bootstrap) intervals, as the stage gates use.
 */
import { z } from "zod";
import { STAGES } from "../deploy/stages.js";
import type { LedgerEntry } from "../deploy/ledger.js";
import type { SafetyEvent } from "../safety/events.js";

/** Version of the run-summary.json format; bumped when a field changes meaning. */
export const RUN_SUMMARY_FORMAT = 1;

/** One logged value of a metric at a training step. */
export interface MetricPoint {
  /** Gradient step (offline training) or environment step (fine-tuning). */
  step: number;
  /** The metric's value at that step. */
  value: number;
  /** Optional 95% CI of the value (evaluation scores), drawn as a band. */
  ci_low?: number;
  ci_high?: number;
}

/** One metric of one learner over steps, e.g. run "iql", metric "loss/critic". */
export interface MetricSeries {
  /** Which learner logged it: "iql", "bc", "iql-finetune", ... (shown in legends). */
  run: string;
  /** Namespaced metric name: "loss/actor", "loss/critic", "eval/normalized_score", "train/episode_return". */
  metric: string;
  points: MetricPoint[];
}

/** A normalized score with its 95% confidence interval. */
export interface ScoreInterval {
  mean: number;
  ci_low: number;
  ci_high: number;
}

/**
 * One stage decision: a stage-ledger entry (models/<name>/stages.json) as recordStage returned it, plus the
 * comparison scores measured in the same stage. The policy's own score is `evidence.score`.
 */
export interface StageRecord extends LedgerEntry {
  /** Scores of the comparison policies in this stage. When `behavior` is absent the report falls back to
   * `evidence.behavior_score` (drawn without error bars). */
  baselines?: { behavior?: ScoreInterval; bc?: ScoreInterval };
  /** When the stage ran, in seconds since the run started (the safety timeline shades it). */
  span?: { start_s: number; end_s: number };
}

/** A safety monitor's fault, as the shield reports it (also published on /diagnostics). */
export interface SafetyEventRecord {
  /** The monitor that fired: "joint_limits", "nan_guard", "support_gap", "estop", ... */
  monitor: string;
  /** What tripped inside the monitor, e.g. "elbow_joint.position" (absent in older summaries). */
  key?: string;
  /** The limit it enforces (in the monitor's units), or null when the limit is not numeric. */
  limit: number | null;
  /** The value it observed, or null when not numeric. */
  observed: number | null;
  /** When it fired: seconds since the start of the run (sim or ROS time), or a builtin_interfaces/Time. */
  stamp: number | { sec: number; nanosec: number };
  /** How bad it was: "warn", "error" or "estop" (any other word is shown as given). */
  severity: string;
  /** What a person should read. */
  message: string;
  /** The stage that was running, when known. */
  stage?: string;
}

/** The record of a SafetyEvent for the run summary: stamp in seconds, "fatal" shown as "estop". */
export function eventRecord(e: SafetyEvent, stage: string | undefined): SafetyEventRecord {
  return {
    monitor: e.monitor,
    key: e.key,
    limit: Number.isFinite(e.limit) ? e.limit : null,
    observed: Number.isFinite(e.observed) ? e.observed : null,
    stamp: e.stamp / 1000,
    severity: e.severity === "fatal" ? "estop" : e.severity,
    message: e.message,
    stage,
  };
}

/** Distances between a policy's actions and the dataset's actions over a set of dataset states. */
export interface SupportGapSample {
  /** Which policy: "iql", "bc", "behavior", ... */
  policy: string;
  /** One distance per evaluated state, in normalized action units. */
  values: number[];
}

/** Where the run's artifacts are (paths as the user would type them, usually relative to the repo). */
export interface RunPaths {
  /** The policy package (models/<name>/). */
  model: string;
  /** The report page; writeRunReport sets it to the file it writes. */
  report?: string;
  /** The dataset(s) the policy was trained on. */
  datasets?: string[];
  /** MCAP run logs (sim, shadow, canary), openable in Foxglove. */
  run_logs?: string[];
}

export interface RunSummary {
  /** Always RUN_SUMMARY_FORMAT. */
  format: number;
  /** Run id, like "iql-reacher2-s0-1a2b3c4d"; also the folder name under logs/. */
  run_id: string;
  /** Robot name (robots/<name>/). */
  robot: string;
  /** ISO 8601 time the run started. */
  started: string;
  /** Wall-clock seconds the whole run took, when finished. */
  wall_time_s?: number;
  /** Offline training: losses and periodic evaluation scores of IQL and the BC baseline. */
  offline: MetricSeries[];
  /** Sim fine-tuning: normalized score (and any other metric) per environment step. */
  finetune: MetricSeries[];
  /** Stage decisions in the order they were taken. */
  stages: StageRecord[];
  /** Support-gap samples of the policies, for the histogram. */
  support_gap: SupportGapSample[];
  /** The support-gap gate threshold, drawn as a rule on the histogram when given. */
  support_gap_threshold?: number;
  /** Every safety event of the run, in any order. */
  safety_events: SafetyEventRecord[];
  paths: RunPaths;
}

// ---- validation of run-summary.json (it is read back from disk, so it is input like any other) ----

const finite = z.number().refine(Number.isFinite, "must be a finite number");
/** JSON has no NaN: a NaN written by JSON.stringify comes back as null. */
const numberOrNull = z.number().nullable();

const MetricPointSchema = z.object({
  step: finite,
  value: numberOrNull.transform((v) => v ?? Number.NaN),
  ci_low: z.number().optional(),
  ci_high: z.number().optional(),
});
const MetricSeriesSchema = z.object({
  run: z.string(),
  metric: z.string(),
  points: z.array(MetricPointSchema),
});
const ScoreIntervalSchema = z.object({ mean: z.number(), ci_low: z.number(), ci_high: z.number() });

const GateCheckSchema = z.object({
  gate: z.string(),
  passed: z.boolean(),
  observed: numberOrNull,
  threshold: numberOrNull.transform((v) => v ?? Number.NaN),
  rule: z.string(),
});

const StageRecordSchema = z.object({
  time: z.string(),
  stage: z.enum(STAGES),
  version: z.string(),
  decision: z.enum(["promote", "hold", "rollback"]),
  checks: z.array(GateCheckSchema),
  evidence: z.object({
    score: ScoreIntervalSchema.optional(),
    behavior_score: z.number().optional(),
    estops: z.number().optional(),
    policy_faults: z.number().optional(),
    support_gap: z.number().optional(),
    deadline_miss_ratio: z.number().optional(),
    agreement: z.number().optional(),
  }),
  rolled_back_to: z.string().optional(),
  report: z.string().optional(),
  span: z.object({ start_s: z.number(), end_s: z.number() }).optional(),
  baselines: z
    .object({ behavior: ScoreIntervalSchema.optional(), bc: ScoreIntervalSchema.optional() })
    .optional(),
});

const SafetyEventSchema = z.object({
  monitor: z.string(),
  key: z.string().optional(),
  limit: numberOrNull,
  observed: numberOrNull,
  stamp: z.union([z.number(), z.object({ sec: z.number(), nanosec: z.number() })]),
  severity: z.string(),
  message: z.string(),
  stage: z.string().optional(),
});

export const RunSummarySchema = z.object({
  format: z.literal(RUN_SUMMARY_FORMAT),
  run_id: z.string().min(1),
  robot: z.string(),
  started: z.string(),
  wall_time_s: z.number().optional(),
  offline: z.array(MetricSeriesSchema),
  finetune: z.array(MetricSeriesSchema),
  stages: z.array(StageRecordSchema),
  support_gap: z.array(z.object({ policy: z.string(), values: z.array(z.number()) })),
  support_gap_threshold: z.number().optional(),
  safety_events: z.array(SafetyEventSchema),
  paths: z.object({
    model: z.string(),
    report: z.string().optional(),
    datasets: z.array(z.string()).optional(),
    run_logs: z.array(z.string()).optional(),
  }),
});

/** Compile-time check that the schema's output is a RunSummary (the interface stays the documentation). */
export function asRunSummary(parsed: z.output<typeof RunSummarySchema>): RunSummary {
  return parsed;
}

/** Seconds of a stamp given as seconds or as builtin_interfaces/Time. */
export function stampSeconds(stamp: SafetyEventRecord["stamp"]): number {
  return typeof stamp === "number" ? stamp : stamp.sec + stamp.nanosec * 1e-9;
}

/** A summary with nothing measured yet, for an orchestrator to fill while the run goes. */
export function newRunSummary(init: {
  run_id: string;
  robot: string;
  model: string;
  started?: string;
}): RunSummary {
  return {
    format: RUN_SUMMARY_FORMAT,
    run_id: init.run_id,
    robot: init.robot,
    started: init.started ?? new Date().toISOString(),
    offline: [],
    finetune: [],
    stages: [],
    support_gap: [],
    safety_events: [],
    paths: { model: init.model },
  };
}
