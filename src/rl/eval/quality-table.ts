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

/** The issue's targets: IQL and AWAC beat BC by ≥ 10 points on medium-replay and match the behavior on medium. */
export const TARGET_ALGOS = ["iql", "awac"] as const;
export const MEDIUM_REPLAY_MARGIN_OVER_BC = 10;

/** Per algorithm: true when every robot passes, false when one fails, null when a needed cell is missing. */
export type TargetVerdicts = Record<(typeof TARGET_ALGOS)[number], boolean | null>;

export interface QualityTargets {
  medium_replay_beats_bc_by_10: TargetVerdicts;
  medium_matches_behavior: TargetVerdicts;
}

function verdict(checks: (boolean | null)[]): boolean | null {
  if (checks.length === 0 || checks.includes(null)) return null;
  return checks.every(Boolean);
}

/** Verdicts of the targets over the robots present in `cells`, comparing mean scores over seeds. */
export function qualityTargets(
  cells: QualityCellSummary[],
  behavior: Map<string, number | null>,
): QualityTargets {
  const robots = [...new Set(cells.map((c) => c.robot))];
  const mean = (robot: string, level: string, algo: string): number | null =>
    cells.find((c) => c.robot === robot && c.level === level && c.algo === algo)?.mean ?? null;
  const beatsBc = {} as TargetVerdicts;
  const matches = {} as TargetVerdicts;
  for (const algo of TARGET_ALGOS) {
    beatsBc[algo] = verdict(
      robots.map((r) => {
        const a = mean(r, "medium-replay", algo);
        const bc = mean(r, "medium-replay", "bc");
        return a === null || bc === null ? null : a >= bc + MEDIUM_REPLAY_MARGIN_OVER_BC;
      }),
    );
    matches[algo] = verdict(
      robots.map((r) => {
        const a = mean(r, "medium", algo);
        const b = behavior.get(`${r}-medium`) ?? null;
        return a === null || b === null ? null : a >= b;
      }),
    );
  }
  return { medium_replay_beats_bc_by_10: beatsBc, medium_matches_behavior: matches };
}

/** One line per target, e.g. `medium_replay_beats_bc_by_10: iql yes, awac no`. */
export function formatTargets(targets: QualityTargets): string {
  const word = (v: boolean | null): string => (v === null ? "n/a" : v ? "yes" : "no");
  return Object.entries(targets)
    .map(
      ([name, v]) =>
        `${name}: ${TARGET_ALGOS.map((a) => `${a} ${word((v as TargetVerdicts)[a])}`).join(", ")}`,
    )
    .join("\n");
}
