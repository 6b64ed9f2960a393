/** Aggregation and formatting of the quality table: normalized score mean ± std over seeds. */

export interface QualityCell {
  robot: string;
  level: string;
  algo: string;
  /** One normalized score per seed (mean over that seed's evaluation episodes). */
  scores: number[];
}

export interface QualityCellSummary extends QualityCell {
  mean: number;
  std: number;
}

/** Sample mean and (population) std of the per-seed scores, as D4RL tables report them. */
export function summarizeCell(cell: QualityCell): QualityCellSummary {
  const n = cell.scores.length;
  const mean = n ? cell.scores.reduce((a, b) => a + b, 0) / n : Number.NaN;
  const std = n ? Math.sqrt(cell.scores.reduce((a, b) => a + (b - mean) ** 2, 0) / n) : Number.NaN;
  return { ...cell, mean, std };
}

/** Rows `robot-level`, one column per algorithm, plus the behavior (dataset) score. */
export function formatQualityTable(
  cells: QualityCellSummary[],
  algos: string[],
  behavior: Map<string, number | null>,
): string {
  const rows = [...new Set(cells.map((c) => `${c.robot}-${c.level}`))];
  const header = ["dataset".padEnd(24), "behavior".padStart(9), ...algos.map((a) => a.padStart(13))].join(
    " ",
  );
  const lines = [header];
  for (const row of rows) {
    const b = behavior.get(row);
    const parts = [row.padEnd(24), (b === null || b === undefined ? "n/a" : b.toFixed(1)).padStart(9)];
    for (const algo of algos) {
      const c = cells.find((x) => `${x.robot}-${x.level}` === row && x.algo === algo);
      parts.push((c ? `${c.mean.toFixed(1)} ± ${c.std.toFixed(1)}` : "-").padStart(13));
    }
    lines.push(parts.join(" "));
  }
  return lines.join("\n");
}
