/** The quality table as a chart (`bench quality --plot`): a row per robot, a column per level, a bar per algorithm. */
import type { TopLevelSpec } from "../../data/plots.js";
import type { QualityCellSummary } from "./quality-table.js";

/**
 * Bars are the mean normalized score over seeds, whiskers ± one std, the dashed line the dataset's own
 * (behavior) score, the targets' yardstick. Each panel has its own y scale: pusher-medium-replay and
 * pendulum-expert live on different ranges.
 */
export function qualityChartSpec(
  cells: QualityCellSummary[],
  algos: string[],
  behavior: Map<string, number | null>,
): TopLevelSpec {
  const rows = cells.map((c) => {
    const dataset = `${c.robot}-${c.level}`;
    return {
      robot: c.robot,
      level: c.level,
      algo: c.algo,
      mean: c.mean,
      lo: c.mean - c.std,
      hi: c.mean + c.std,
      behavior: behavior.get(dataset) ?? null,
    };
  });
  const levels = [...new Set(rows.map((r) => r.level))];
  const x = { field: "algo", type: "nominal", sort: algos, title: null };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: "Offline quality",
      subtitle: "normalized score, mean ± std over seeds; dashed: the dataset's behavior",
    },
    data: { values: rows },
    facet: {
      row: { field: "robot", type: "nominal", title: null },
      column: { field: "level", type: "nominal", sort: levels, title: null },
    },
    spec: {
      width: 150,
      height: 140,
      layer: [
        {
          mark: "bar",
          encoding: {
            x,
            y: { field: "mean", type: "quantitative", title: "normalized score" },
            color: { field: "algo", type: "nominal", sort: algos, legend: null },
          },
        },
        {
          mark: { type: "rule", color: "#333333" },
          encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" } },
        },
        {
          transform: [{ filter: "datum.behavior !== null" }],
          mark: { type: "rule", strokeDash: [4, 3], color: "#000000" },
          encoding: { y: { aggregate: "max", field: "behavior", type: "quantitative" } },
        },
      ],
    },
    resolve: { scale: { y: "independent" } },
  } as TopLevelSpec;
}
