/**
 * `tether dataset info`: what a dataset holds, for people (`formatDatasetInfo`) and machines (the JSON
 * object), plus the Vega-Lite chart of its returns and per-dim action histograms.
 */
import type { TopLevelSpec } from "vega-lite";
import { readEpisodes, type OpenDataset } from "./dataset-reader.js";

const HIST_BINS = 40;

export interface ActionCoverage {
  name: string;
  min: number;
  p01: number;
  p50: number;
  p99: number;
  max: number;
  /** Fraction of 20 equal bins over [-1, 1] (normalized action) that hold data. */
  coverage: number;
  /** HIST_BINS counts over [-1, 1]. */
  histogram: number[];
}

export interface DatasetInfo {
  dataset: string;
  robot: string;
  source: string;
  behavior: string;
  status: "open" | "complete";
  recovered: boolean;
  dropped_bytes: number;
  episodes: number;
  transitions: number;
  bytes: number;
  bytes_per_transition: number;
  chunks: number;
  terminals: number;
  timeouts: number;
  /** Episodes whose writer stopped before their end (kill -9, or closed mid-episode): at most the last. */
  truncated_episodes: number;
  episode_length: { mean: number; min: number; max: number };
  returns: { mean: number; std: number; min: number; p25: number; median: number; p75: number; max: number };
  /** D4RL normalized score of the mean return: 100 (R - random) / (expert - random); null when uncalibrated. */
  normalized_score: { mean: number; min: number; max: number } | null;
  behaviors: Record<string, { episodes: number; mean_return: number; normalized_score: number | null }>;
  actions: ActionCoverage[];
  content_hash: string;
}

export function summarizeDataset(
  ds: OpenDataset,
  referenceReturns?: { random: number; expert: number },
): DatasetInfo {
  const m = ds.manifest;
  const ref = referenceReturns ?? m.referenceReturns;
  const score = (r: number): number | null =>
    ref ? (100 * (r - ref.random)) / (ref.expert - ref.random) : null;
  const hist = Array.from({ length: m.actDim }, () => new Array<number>(HIST_BINS).fill(0));
  let terminals = 0;
  let timeouts = 0;
  for (const ep of readEpisodes(ds)) {
    for (let t = 0; t < ep.steps; t++) {
      terminals += ep.terminals[t];
      timeouts += ep.timeouts[t];
    }
    const a = ep.actionsNormalized;
    for (let i = 0; i < a.length; i++) {
      const b = Math.min(HIST_BINS - 1, Math.max(0, Math.floor(((a[i] + 1) / 2) * HIST_BINS)));
      hist[i % m.actDim][b]++;
    }
  }
  const rets = m.episodes.returns;
  const sorted = [...rets].sort((a, b) => a - b);
  const q = (p: number): number =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0;
  const mean = rets.length ? rets.reduce((a, b) => a + b, 0) / rets.length : 0;
  const std = rets.length ? Math.sqrt(rets.reduce((a, b) => a + (b - mean) ** 2, 0) / rets.length) : 0;
  const lengths = m.episodes.lengths;
  const behaviors: DatasetInfo["behaviors"] = {};
  const byLabel = new Map<string, number[]>();
  m.episodes.behaviors.forEach((b, i) => {
    if (!byLabel.has(b)) byLabel.set(b, []);
    byLabel.get(b)!.push(rets[i]);
  });
  for (const [label, rs] of byLabel) {
    const mr = rs.reduce((a, b) => a + b, 0) / rs.length;
    behaviors[label] = { episodes: rs.length, mean_return: mr, normalized_score: score(mr) };
  }
  const st = m.statistics;
  const levels = st?.action.levels ?? [];
  const at = (d: number, level: number): number => st?.action.values[d]?.[levels.indexOf(level)] ?? 0;
  return {
    dataset: ds.dir,
    robot: m.robot,
    source: m.source,
    behavior: m.behavior,
    status: m.status,
    recovered: ds.recovered,
    dropped_bytes: ds.droppedBytes,
    episodes: m.counts.episodes,
    transitions: m.counts.transitions,
    bytes: m.counts.bytes,
    bytes_per_transition: m.counts.transitions ? m.counts.bytes / m.counts.transitions : 0,
    chunks: m.chunks.length,
    terminals,
    timeouts,
    truncated_episodes: m.episodes.truncated?.length ?? 0,
    episode_length: {
      mean: lengths.length ? lengths.reduce((a, b) => a + b, 0) / lengths.length : 0,
      min: lengths.length ? Math.min(...lengths) : 0,
      max: lengths.length ? Math.max(...lengths) : 0,
    },
    returns: {
      mean,
      std,
      min: sorted[0] ?? 0,
      p25: q(0.25),
      median: q(0.5),
      p75: q(0.75),
      max: sorted[sorted.length - 1] ?? 0,
    },
    normalized_score:
      ref && rets.length
        ? { mean: score(mean)!, min: score(sorted[0])!, max: score(sorted[sorted.length - 1])! }
        : null,
    behaviors,
    actions: m.actNames.map((name, d) => ({
      name,
      min: at(d, 0),
      p01: at(d, 0.01),
      p50: at(d, 0.5),
      p99: at(d, 0.99),
      max: at(d, 1),
      coverage: st?.action.coverage[d] ?? 0,
      histogram: hist[d],
    })),
    content_hash: m.contentHash,
  };
}

export function formatDatasetInfo(info: DatasetInfo): string {
  const f = (x: number): string =>
    Math.abs(x) >= 1000 || x === Math.round(x) ? x.toFixed(0) : x.toPrecision(4);
  const lines = [
    `dataset     ${info.dataset}`,
    `robot       ${info.robot}   source ${info.source}   behavior ${info.behavior}   status ${info.status}${info.recovered ? ` (recovered, ${info.dropped_bytes} tail bytes dropped; run \`tether dataset repair\`)` : ""}`,
    `episodes    ${info.episodes}   transitions ${info.transitions}   length mean ${f(info.episode_length.mean)} [${info.episode_length.min}, ${info.episode_length.max}]`,
    `ends        ${info.terminals} terminal, ${info.timeouts} timeout${info.truncated_episodes ? ` (${info.truncated_episodes} episode truncated: its writer stopped mid-episode)` : ""}`,
    `size        ${(info.bytes / 1e6).toFixed(2)} MB in ${info.chunks} chunk(s), ${f(info.bytes_per_transition)} bytes/transition`,
    `returns     mean ${f(info.returns.mean)} ± ${f(info.returns.std)}   min ${f(info.returns.min)}  p25 ${f(info.returns.p25)}  median ${f(info.returns.median)}  p75 ${f(info.returns.p75)}  max ${f(info.returns.max)}`,
    `normalized  ${info.normalized_score ? `mean ${f(info.normalized_score.mean)}  [${f(info.normalized_score.min)}, ${f(info.normalized_score.max)}]` : "n/a (robot has no reference_returns)"}`,
    `behaviors`,
    ...Object.entries(info.behaviors).map(
      ([b, v]) =>
        `  ${b.padEnd(14)} ${String(v.episodes).padStart(6)} episodes   mean return ${f(v.mean_return)}${v.normalized_score === null ? "" : `   score ${f(v.normalized_score)}`}`,
    ),
    `actions (normalized [-1, 1])`,
    ...info.actions.map(
      (a) =>
        `  ${a.name.padEnd(18)} min ${f(a.min)}  p01 ${f(a.p01)}  p50 ${f(a.p50)}  p99 ${f(a.p99)}  max ${f(a.max)}  coverage ${(100 * a.coverage).toFixed(0)}%`,
    ),
    `content     ${info.content_hash || "(not finalized)"}`,
  ];
  return lines.join("\n");
}

/** Returns histogram (colored by behavior) beside one action histogram per dim. */
export function datasetChartSpec(info: DatasetInfo, returns: number[], labels: string[]): TopLevelSpec {
  const returnRows = returns.map((r, i) => ({ return: r, behavior: labels[i] }));
  const actionRows = info.actions.flatMap((a) =>
    a.histogram.map((count, b) => ({
      action: a.name,
      lo: -1 + (2 * b) / a.histogram.length,
      hi: -1 + (2 * (b + 1)) / a.histogram.length,
      count,
    })),
  );
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: `${info.robot} dataset: ${info.episodes} episodes, ${info.transitions} transitions`,
    hconcat: [
      {
        title: "episode returns",
        data: { values: returnRows },
        mark: "bar",
        width: 280,
        height: 200,
        encoding: {
          x: { field: "return", bin: { maxbins: 30 }, type: "quantitative", title: "return" },
          y: { aggregate: "count", type: "quantitative", title: "episodes" },
          color: { field: "behavior", type: "nominal" },
        },
      },
      {
        title: "actions (normalized)",
        data: { values: actionRows },
        facet: { row: { field: "action", type: "nominal", title: null } },
        spec: {
          mark: { type: "rect", color: "#666666" },
          width: 280,
          height: 70,
          encoding: {
            x: { field: "lo", type: "quantitative", scale: { domain: [-1, 1] }, title: "action" },
            x2: { field: "hi" },
            y: { field: "count", type: "quantitative", title: "steps" },
            y2: { datum: 0 },
          },
        },
        resolve: { scale: { y: "independent" } },
      },
    ],
  } as TopLevelSpec;
}
