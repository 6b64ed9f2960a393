/**
 * The offline-to-online table of `tether bench o2o`: per robot and algorithm, over seeds, the offline
 * policy's score (the fine-tune run's step-0 evaluation, behind the same shield and monitors), the score
 * after the online budget (the run's last evaluation), CORL's regret and the e-stops.
 */
import { meanOrNull } from "../../core/mean.js";
import { bootstrapSeedEpisodeCI } from "./bootstrap.js";

/** What one fine-tune run contributes: its evaluations (per-episode normalized scores) and its e-stop. */
export interface O2oRun {
  seed: number;
  curve: { env_step: number; score: number; scores: number[] }[];
  /** The env step the e-stop ended the run at, or null. */
  estop_step: number | null;
}

export interface ScoreCI {
  mean: number;
  ci_low: number;
  ci_high: number;
}

export interface O2oCell {
  robot: string;
  algo: string;
  offline_score: number;
  offline_ci: [number, number];
  online_score: number;
  online_ci: [number, number];
  /** Mean over seeds of each run's regret; null when the robot's scores are not normalized. */
  regret: number | null;
  /** Runs that ended in an e-stop. */
  estops: number;
  seeds: {
    seed: number;
    offline_score: number;
    online_score: number;
    /** Env step of the last evaluation (the budget, or earlier when an e-stop ended the run). */
    online_env_step: number;
    regret: number | null;
    estop_step: number | null;
  }[];
}

/**
 * CORL's regret of one online run: the mean over its evaluations of 1 - normalized score / 100. The online
 * run's evaluations are those after some online interaction (env_step > 0); step 0 is the offline policy.
 * Scores above 100 count as negative regret (not clipped), as CORL leaves them. NaN without any such evaluation.
 */
export function runRegret(curve: O2oRun["curve"]): number {
  const online = curve.filter((p) => p.env_step > 0);
  if (online.length === 0) return NaN;
  return online.reduce((s, p) => s + (1 - p.score / 100), 0) / online.length;
}

/**
 * Mean of the per-seed mean scores with bootstrapSeedEpisodeCI's 95% CI (seeds, then episodes). Seeds without
 * episodes (a run e-stopped before that evaluation) are left out; none left gives NaN.
 */
function seedScoreCI(perSeed: number[][], seed: number): ScoreCI {
  const groups = perSeed.filter((g) => g.length > 0);
  if (groups.length === 0) return { mean: NaN, ci_low: NaN, ci_high: NaN };
  const ci = bootstrapSeedEpisodeCI(groups, { seed, resamples: 2000 });
  return { mean: ci.mean, ci_low: ci.low, ci_high: ci.high };
}

export function summarizeO2o(robot: string, algo: string, runs: O2oRun[], normalized: boolean): O2oCell {
  const first = runs.map((r) => (r.curve[0]?.env_step === 0 ? r.curve[0].scores : []));
  // A run whose only evaluation is step 0 (e-stopped before the next) has no online score.
  const last = runs.map((r) => {
    const p = r.curve.at(-1);
    return p && p.env_step > 0 ? p.scores : [];
  });
  const off = seedScoreCI(first, 1);
  const on = seedScoreCI(last, 2);
  const seeds = runs.map((r) => {
    const p0 = r.curve[0]?.env_step === 0 ? r.curve[0] : undefined;
    const pl = r.curve.at(-1);
    const reg = normalized ? runRegret(r.curve) : NaN;
    return {
      seed: r.seed,
      offline_score: p0?.score ?? NaN,
      online_score: pl && pl.env_step > 0 ? pl.score : NaN,
      online_env_step: pl?.env_step ?? 0,
      regret: Number.isFinite(reg) ? reg : null,
      estop_step: r.estop_step,
    };
  });
  const regrets = seeds.map((s) => s.regret).filter((v): v is number => v !== null);
  return {
    robot,
    algo,
    offline_score: off.mean,
    offline_ci: [off.ci_low, off.ci_high],
    online_score: on.mean,
    online_ci: [on.ci_low, on.ci_high],
    regret: meanOrNull(regrets),
    estops: runs.filter((r) => r.estop_step !== null).length,
    seeds,
  };
}

/** The readable table printed before the JSON line. */
export function formatO2oTable(cells: O2oCell[]): string {
  const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : "-");
  const ci = (m: number, c: [number, number]): string => `${f(m)} [${f(c[0])}, ${f(c[1])}]`;
  const rows = cells.map((c) => [
    c.robot,
    c.algo,
    ci(c.offline_score, c.offline_ci),
    ci(c.online_score, c.online_ci),
    f(c.online_score - c.offline_score),
    c.regret === null ? "-" : c.regret.toFixed(2),
    `${c.estops}/${c.seeds.length}`,
  ]);
  const head = ["robot", "algo", "offline (95% CI)", "online (95% CI)", "change", "regret", "estops"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string =>
    r.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join("  ");
  return [line(head), ...rows.map(line)].join("\n");
}
