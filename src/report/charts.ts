/**
 * The report's charts as Vega-Lite specs, built from a RunSummary. Each builder returns undefined when the
 * run has no data for that chart (the page then says so in words instead of drawing an empty frame).
 * User strings only ever go into data values (never into field names or expressions), so Vega escapes them.
 */
import type { TopLevelSpec } from "vega-lite";
import { stampSeconds, type MetricSeries, type RunSummary } from "./run-summary.js";

export interface ChartSpec {
  /** Stable id, used as the figure's data-chart attribute. */
  id: string;
  /** Caption under the chart. */
  caption: string;
  spec: TopLevelSpec;
}

const WIDTH = 640;
const HEIGHT = 240;

/** Shared look: system fonts, quiet grid, no outer frame. */
const CONFIG = {
  font: "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif",
  view: { stroke: null },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 600,
    gridColor: "#e8e8e8",
    domainColor: "#888",
  },
  legend: { labelFontSize: 11, titleFontSize: 12, orient: "right", labelLimit: 280 },
  title: { fontSize: 14, anchor: "start", fontWeight: 600 },
} as const;

/** Severity words in increasing order of badness, with their colors; unknown words get grey. */
const SEVERITY_COLORS: Record<string, string> = {
  info: "#4c78a8",
  warn: "#f2a02b",
  error: "#d6402b",
  estop: "#5a1010",
};

interface LongPoint {
  run: string;
  metric: string;
  series: string;
  step: number;
  value: number;
  ci_low?: number;
  ci_high?: number;
}

/** Points drawn per series at most: a long run is thinned to every k-th point (its last point is kept). */
export const MAX_POINTS_PER_SERIES = 500;
/** Safety events drawn at most (most severe first); the table and run-summary.json keep all of them. */
export const MAX_EVENT_MARKS = 1000;

function thin<T>(points: T[], max: number): T[] {
  if (points.length <= max) return points;
  const stride = Math.ceil(points.length / (max - 1));
  const kept = points.filter((_, i) => i % stride === 0);
  if ((points.length - 1) % stride !== 0) kept.push(points[points.length - 1]);
  return kept;
}

function flatten(series: MetricSeries[]): LongPoint[] {
  const out: LongPoint[] = [];
  for (const s of series) {
    for (const p of thin(s.points, MAX_POINTS_PER_SERIES)) {
      if (!Number.isFinite(p.step) || !Number.isFinite(p.value)) continue;
      const row: LongPoint = {
        run: s.run,
        metric: s.metric,
        series: `${s.run} ${s.metric}`,
        step: p.step,
        value: p.value,
      };
      if (
        p.ci_low !== undefined &&
        p.ci_high !== undefined &&
        Number.isFinite(p.ci_low) &&
        Number.isFinite(p.ci_high)
      ) {
        row.ci_low = p.ci_low;
        row.ci_high = p.ci_high;
      }
      out.push(row);
    }
  }
  return out;
}

/** Distinct values in order of first appearance (legends and facets follow the order the run logged them). */
function firstSeen(values: string[]): string[] {
  return [...new Set(values)];
}

const isEval = (s: MetricSeries): boolean => s.metric.startsWith("eval/");

/** Offline training losses, one panel per learner, one line per loss. */
export function offlineLossChart(run: RunSummary): ChartSpec | undefined {
  const rows = flatten(run.offline.filter((s) => !isEval(s)));
  if (rows.length === 0) return undefined;
  const runs = firstSeen(rows.map((r) => r.run));
  const learners = runs.length;
  return {
    id: "offline-loss",
    caption:
      "Offline training losses per gradient step (symlog scale: early spikes do not hide convergence).",
    spec: {
      config: CONFIG,
      title: "Offline training losses",
      data: { values: rows },
      facet: {
        field: "run",
        type: "nominal",
        sort: runs,
        title: null,
        header: { labelFontSize: 13, labelFontWeight: 600 },
      },
      columns: Math.min(2, learners),
      spec: {
        width: learners > 1 ? WIDTH / 2 - 40 : WIDTH,
        height: HEIGHT - 40,
        mark: { type: "line", strokeWidth: 1.5, interpolate: "monotone" },
        encoding: {
          x: { field: "step", type: "quantitative", title: "gradient step" },
          y: { field: "value", type: "quantitative", title: "loss", scale: { type: "symlog" } },
          color: { field: "metric", type: "nominal", title: "loss" },
        },
      },
      resolve: { scale: { y: "independent" } },
    },
  };
}

/** A line per series with a 95% CI band where the points carry one. */
function scoreLines(
  rows: LongPoint[],
  colorField: "run" | "series",
  xTitle: string,
  extraLayers: object[],
): object {
  const withCi = rows.filter((r) => r.ci_low !== undefined);
  const order = firstSeen(rows.map((r) => r[colorField]));
  // Encodings live on the data layers only, so reference layers (rules, labels) inherit nothing from them.
  const x = { field: "step", type: "quantitative", title: xTitle };
  const y = { field: "value", type: "quantitative", title: "normalized score" };
  const color = {
    field: colorField,
    type: "nominal",
    title: colorField === "run" ? "learner" : "series",
    sort: order,
    legend: { symbolType: "stroke", symbolStrokeWidth: 3, symbolOpacity: 1 },
  };
  const layers: object[] = [{ mark: { type: "line", strokeWidth: 2 }, encoding: { x, y, color } }];
  if (withCi.length > 0) {
    layers.push({
      data: { values: withCi },
      mark: { type: "area", opacity: 0.18 },
      encoding: { x, y: { ...y, field: "ci_low" }, y2: { field: "ci_high" }, color },
    });
  }
  layers.push({ mark: { type: "point", filled: true, size: 30 }, encoding: { x, y, color } }, ...extraLayers);
  return { width: WIDTH, height: HEIGHT, data: { values: rows }, layer: layers };
}

/** Offline evaluation: normalized score of IQL and BC over training. */
export function offlineScoreChart(run: RunSummary): ChartSpec | undefined {
  const rows = flatten(run.offline.filter(isEval));
  if (rows.length === 0) return undefined;
  return {
    id: "offline-score",
    caption: "Normalized score of the learners' policies during offline training (0 = random, 100 = expert).",
    spec: {
      config: CONFIG,
      title: "Offline evaluation",
      ...scoreLines(rows, "run", "gradient step", []),
    } as TopLevelSpec,
  };
}

/** Fine-tuning in simulation: the normalized score per environment step, against the behavior score. */
export function finetuneChart(run: RunSummary): ChartSpec | undefined {
  const evalSeries = run.finetune.filter(isEval);
  const rows = flatten(evalSeries.length > 0 ? evalSeries : run.finetune);
  if (rows.length === 0) return undefined;
  // One metric per learner: the legend names learners; otherwise it names "learner metric".
  const colorField =
    new Set(rows.map((r) => r.series)).size === new Set(rows.map((r) => r.run)).size ? "run" : "series";
  const behavior = behaviorReference(run);
  const extra =
    behavior === undefined
      ? []
      : [
          {
            data: { values: [{ behavior }] },
            mark: { type: "rule", strokeDash: [6, 4], color: "#666" },
            encoding: { y: { field: "behavior", type: "quantitative" }, color: { value: "#666" } },
          },
          {
            data: { values: [{ behavior, label: `behavior ${behavior.toFixed(1)}` }] },
            mark: { type: "text", align: "left", dx: 4, dy: -6, color: "#666", fontSize: 11 },
            encoding: {
              y: { field: "behavior", type: "quantitative" },
              x: { value: 0 },
              text: { field: "label" },
            },
          },
        ];
  return {
    id: "finetune",
    caption:
      "Sim fine-tuning behind the safety shield: normalized score per environment step" +
      (behavior === undefined ? "." : "; dashed line: the behavior policy's score."),
    spec: {
      config: CONFIG,
      title: "Fine-tuning in simulation",
      ...scoreLines(rows, colorField, "environment step", extra),
    } as TopLevelSpec,
  };
}

function behaviorReference(run: RunSummary): number | undefined {
  for (const stage of ["sim-finetune", "sim-eval"] as const) {
    const rec = run.stages.find((s) => s.stage === stage);
    const v = rec?.baselines?.behavior?.mean ?? rec?.evidence.behavior_score;
    if (v !== undefined && Number.isFinite(v)) return v;
  }
  return undefined;
}

/** The x label of a stage record: the stage, with its version when a stage ran more than once. */
export function stageLabels(run: RunSummary): string[] {
  const counts = new Map<string, number>();
  for (const s of run.stages) counts.set(s.stage, (counts.get(s.stage) ?? 0) + 1);
  return run.stages.map((s) => ((counts.get(s.stage) ?? 0) > 1 ? `${s.stage} (${s.version})` : s.stage));
}

/** The legend name of the policy being staged, next to "behavior" and "BC". */
const POLICY = "policy under test";

interface ScoreRow {
  stage: string;
  order: number;
  who: string;
  mean: number;
  ci_low: number;
  ci_high: number;
}

export function stageScoreRows(run: RunSummary): ScoreRow[] {
  const labels = stageLabels(run);
  const rows: ScoreRow[] = [];
  run.stages.forEach((s, i) => {
    const push = (who: string, mean: number | undefined, lo?: number, hi?: number): void => {
      if (mean === undefined || !Number.isFinite(mean)) return;
      rows.push({ stage: labels[i], order: i, who, mean, ci_low: lo ?? mean, ci_high: hi ?? mean });
    };
    const score = s.evidence.score;
    push(POLICY, score?.mean, score?.ci_low, score?.ci_high);
    const behavior = s.baselines?.behavior;
    if (behavior) push("behavior", behavior.mean, behavior.ci_low, behavior.ci_high);
    else push("behavior", s.evidence.behavior_score);
    const bc = s.baselines?.bc;
    if (bc) push("BC", bc.mean, bc.ci_low, bc.ci_high);
  });
  return rows;
}

/** Normalized score per stage: policy vs behavior vs BC, with 95% CI error bars. */
export function stageScoreChart(run: RunSummary): ChartSpec | undefined {
  const rows = stageScoreRows(run);
  if (rows.length === 0) return undefined;
  const labels = stageLabels(run).filter(
    (l, i, all) => all.indexOf(l) === i && rows.some((r) => r.stage === l),
  );
  const colors = { domain: [POLICY, "behavior", "BC"], range: ["#4c78a8", "#9d9d9d", "#f58518"] };
  return {
    id: "stage-scores",
    caption:
      "Normalized score per stage with 95% confidence intervals: the policy under test against the behavior policy and the BC baseline.",
    spec: {
      config: CONFIG,
      width: Math.max(WIDTH, labels.length * 90),
      height: HEIGHT,
      data: { values: rows },
      encoding: {
        x: {
          field: "stage",
          type: "nominal",
          sort: labels,
          title: null,
          axis: { labelAngle: 0, labelLimit: 120 },
        },
        xOffset: { field: "who", type: "nominal", sort: colors.domain },
        color: { field: "who", type: "nominal", title: null, scale: colors, sort: colors.domain },
      },
      layer: [
        {
          mark: { type: "rule", strokeWidth: 2 },
          encoding: {
            y: { field: "ci_low", type: "quantitative", title: "normalized score (95% CI)" },
            y2: { field: "ci_high" },
          },
        },
        {
          mark: { type: "tick", thickness: 2, size: 10 },
          encoding: { y: { field: "ci_low", type: "quantitative" } },
        },
        {
          mark: { type: "tick", thickness: 2, size: 10 },
          encoding: { y: { field: "ci_high", type: "quantitative" } },
        },
        {
          mark: { type: "point", filled: true, size: 70, opacity: 1 },
          encoding: { y: { field: "mean", type: "quantitative" } },
        },
      ],
    } as TopLevelSpec,
  };
}

/** Support gap: distribution of distances between policy and dataset actions. */
export function supportGapChart(run: RunSummary): ChartSpec | undefined {
  const threshold = run.support_gap_threshold;
  const hasThreshold = threshold !== undefined && Number.isFinite(threshold);
  const rows: { policy: string; gap: number; threshold?: number }[] = [];
  for (const s of run.support_gap) {
    for (const v of s.values) {
      if (!Number.isFinite(v)) continue;
      rows.push(hasThreshold ? { policy: s.policy, gap: v, threshold } : { policy: s.policy, gap: v });
    }
  }
  if (rows.length === 0) return undefined;
  const policies = firstSeen(rows.map((r) => r.policy));
  // One panel per policy (overlapping bars would blend into colors no legend explains).
  const layers: object[] = [
    {
      mark: { type: "bar", binSpacing: 1 },
      encoding: {
        x: {
          field: "gap",
          type: "quantitative",
          bin: { maxbins: 30 },
          title: "support gap (normalized action units)",
        },
        y: { aggregate: "count", type: "quantitative", title: "states" },
        color: { field: "policy", type: "nominal", title: "policy", sort: policies, legend: null },
      },
    },
  ];
  if (hasThreshold) {
    layers.push(
      {
        mark: { type: "rule", color: "#d6402b", strokeDash: [6, 4], strokeWidth: 2 },
        encoding: { x: { field: "threshold", aggregate: "min", type: "quantitative" } },
      },
      {
        mark: { type: "text", color: "#d6402b", align: "left", dx: 4, baseline: "top", fontSize: 11 },
        encoding: {
          x: { field: "threshold", aggregate: "min", type: "quantitative" },
          y: { value: 2 },
          text: { value: `gate ${threshold}` },
        },
      },
    );
  }
  return {
    id: "support-gap",
    caption:
      "How far each policy's actions are from the dataset's actions over dataset states" +
      (hasThreshold ? `; dashed line: the support-gap gate (${threshold}).` : "."),
    spec: {
      config: CONFIG,
      data: { values: rows },
      facet: {
        row: {
          field: "policy",
          type: "nominal",
          sort: policies,
          title: null,
          header: { labelAngle: 0, labelAlign: "left", labelFontSize: 13, labelFontWeight: 600 },
        },
      },
      spec: { width: WIDTH, height: Math.max(70, Math.round(HEIGHT / policies.length)), layer: layers },
    } as TopLevelSpec,
  };
}

/** Safety events over time: one row per monitor, colored by severity. */
export function safetyTimelineChart(run: RunSummary): ChartSpec | undefined {
  const rows = run.safety_events
    .map((e) => ({
      t: stampSeconds(e.stamp),
      monitor: e.monitor,
      severity: e.severity,
      stage: e.stage ?? "",
    }))
    .filter((r) => Number.isFinite(r.t));
  if (rows.length === 0) return undefined;
  const known = Object.keys(SEVERITY_COLORS);
  const total = rows.length;
  if (rows.length > MAX_EVENT_MARKS) {
    // Keep the most severe (unknown words rank as "warn"), earliest first within a severity.
    const rank = (sev: string): number => (known.includes(sev) ? known.indexOf(sev) : 1);
    rows.sort((a, b) => rank(b.severity) - rank(a.severity) || a.t - b.t);
    rows.length = MAX_EVENT_MARKS;
  }
  const present = [...new Set(rows.map((r) => r.severity))];
  const domain = [
    ...known.filter((k) => present.includes(k)),
    ...present.filter((p) => !known.includes(p)).sort(),
  ];
  const range = domain.map((d) => SEVERITY_COLORS[d] ?? "#888888");
  const monitors = new Set(rows.map((r) => r.monitor)).size;
  const events = {
    data: { values: rows },
    mark: { type: "point", filled: true, size: 90, opacity: 0.85 },
    encoding: {
      x: { field: "t", type: "quantitative", title: "time since run start (s)" },
      y: { field: "monitor", type: "nominal", title: "monitor" },
      color: { field: "severity", type: "nominal", title: "severity", scale: { domain, range } },
      shape: { field: "severity", type: "nominal", scale: { domain } },
    },
  };
  const bands = stageBands(run);
  return {
    id: "safety-timeline",
    caption:
      (total > rows.length
        ? `The ${rows.length} most severe of ${total} safety events: when each fired, which monitor, how severe.`
        : "Every safety event of the run: when it fired, which monitor, how severe.") +
      (bands.length > 0 ? " Shaded: the stages, as they ran." : ""),
    spec: {
      config: CONFIG,
      width: WIDTH,
      height: Math.max(60, monitors * 28),
      layer: [...bands, events],
    } as TopLevelSpec,
  };
}

/** Shaded spans of the stages that recorded when they ran, labelled above the plot. */
function stageBands(run: RunSummary): object[] {
  const labels = stageLabels(run);
  const spans = run.stages.flatMap((s, i) =>
    s.span !== undefined && Number.isFinite(s.span.start_s) && Number.isFinite(s.span.end_s)
      ? [
          {
            stage: labels[i],
            start: s.span.start_s,
            end: s.span.end_s,
            mid: (s.span.start_s + s.span.end_s) / 2,
            odd: i % 2,
          },
        ]
      : [],
  );
  if (spans.length === 0) return [];
  return [
    {
      data: { values: spans },
      mark: { type: "rect", opacity: 0.5 },
      encoding: {
        x: { field: "start", type: "quantitative" },
        x2: { field: "end" },
        fill: { condition: { test: "datum.odd === 1", value: "#e4e8ee" }, value: "#f1f3f6" },
      },
    },
    {
      data: { values: spans },
      mark: { type: "text", baseline: "bottom", dy: -4, fontSize: 10, color: "#5b6472" },
      encoding: { x: { field: "mid", type: "quantitative" }, y: { value: 0 }, text: { field: "stage" } },
    },
  ];
}

/** All charts of the report, in page order (absent ones are undefined). */
export function reportCharts(run: RunSummary): Record<string, ChartSpec | undefined> {
  return {
    "offline-loss": offlineLossChart(run),
    "offline-score": offlineScoreChart(run),
    finetune: finetuneChart(run),
    "stage-scores": stageScoreChart(run),
    "support-gap": supportGapChart(run),
    "safety-timeline": safetyTimelineChart(run),
  };
}
