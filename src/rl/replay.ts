/**
 * Fixed-dataset sampling for offline training: uniform mini-batches (with replacement) from
 * TransitionColumns into reused buffers, plus the dataset checks that must pass before any update.
 */
import { NonFiniteError, ShapeMismatchError, TetherError } from "../core/errors.js";
import type { Rng } from "../core/rng.js";
import type { TransitionColumns } from "../core/transitions.js";
import type { Batch } from "./algos/learner.js";

/** Dataset dims must match the robot, every number must be finite, and there must be data. */
export function checkColumns(
  cols: TransitionColumns,
  expected: { obsDim: number; actDim: number; source: string; robot: string },
): void {
  const { source, robot } = expected;
  if (cols.obsDim !== expected.obsDim) {
    throw new ShapeMismatchError(
      `${source}: observation dimension vs robot ${robot}`,
      expected.obsDim,
      cols.obsDim,
      {
        hint: `the dataset was recorded for a different robot or observation layout; check --robot`,
      },
    );
  }
  if (cols.actDim !== expected.actDim) {
    throw new ShapeMismatchError(
      `${source}: action dimension vs robot ${robot}`,
      expected.actDim,
      cols.actDim,
      {
        hint: `the dataset was recorded for a different robot or actuator layout; check --robot`,
      },
    );
  }
  if (cols.size < 1)
    throw new TetherError("EMPTY_DATASET", `${source}: the dataset holds no transitions`, { source });
  const check = (what: string, a: Float32Array, width: number): void => {
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i])) {
        throw new NonFiniteError(`${source}: ${what}`, i, a[i], {
          hint: `transition ${Math.floor(i / width)} (episode ${cols.episodes[Math.floor(i / width)]}); repair or re-import the dataset`,
        });
      }
    }
  };
  check("observations", cols.observations, cols.obsDim);
  check("nextObservations", cols.nextObservations, cols.obsDim);
  check("actions", cols.actions, cols.actDim);
  check("rewards", cols.rewards, 1);
}

/** Columns beyond the transition some algorithms learn from (registry.ts says which). */
export interface SamplerExtras {
  /** Sample the dataset's next action (ReBRAC). */
  nextActions?: boolean;
  /** Sample the discounted return-to-go with this γ (Cal-QL). */
  mcDiscount?: number;
}

/** Whether row i is the last of its episode: a terminal, a time-limit cut, or the next row's episode differs. */
function episodeEnds(cols: TransitionColumns, i: number): boolean {
  return (
    i + 1 === cols.size ||
    cols.terminals[i] === 1 ||
    cols.timeouts[i] === 1 ||
    cols.episodes[i + 1] !== cols.episodes[i]
  );
}

/**
 * The action taken at each row's next state: the next row's action within an episode. At an episode's last
 * row there is none; the row's own action stands in (a terminal does not bootstrap, so it only matters after
 * a time-limit cut, which CORL's loader drops instead).
 */
export function nextActionColumn(cols: TransitionColumns): Float32Array {
  const a = cols.actDim;
  const out = new Float32Array(cols.size * a);
  for (let i = 0; i < cols.size; i++) {
    const j = episodeEnds(cols, i) ? i : i + 1;
    out.set(cols.actions.subarray(j * a, (j + 1) * a), i * a);
  }
  return out;
}

/**
 * Discounted Monte-Carlo return-to-go per row, G_t = r_t + γ G_{t+1} within an episode (float64 sums). As in
 * CORL's Cal-QL, an episode cut by its time limit is not bootstrapped: its return stops at the last row.
 */
export function mcReturnColumn(cols: TransitionColumns, discount: number): Float32Array {
  const out = new Float32Array(cols.size);
  let next = 0;
  for (let i = cols.size - 1; i >= 0; i--) {
    next = cols.rewards[i] + (episodeEnds(cols, i) ? 0 : discount * next);
    out[i] = next;
  }
  return out;
}

export class TransitionSampler {
  private readonly batch: Batch;
  private readonly nextActions?: Float32Array;
  private readonly mcReturns?: Float32Array;

  constructor(
    readonly cols: TransitionColumns,
    readonly batchSize: number,
    extras: SamplerExtras = {},
  ) {
    const { obsDim, actDim } = cols;
    this.batch = {
      size: batchSize,
      observations: new Float32Array(batchSize * obsDim),
      actions: new Float32Array(batchSize * actDim),
      rewards: new Float32Array(batchSize),
      nextObservations: new Float32Array(batchSize * obsDim),
      terminals: new Float32Array(batchSize),
    };
    // Computed once per dataset; batches copy rows like the other columns.
    if (extras.nextActions) {
      this.nextActions = nextActionColumn(cols);
      this.batch.nextActions = new Float32Array(batchSize * actDim);
    }
    if (extras.mcDiscount !== undefined) {
      this.mcReturns = mcReturnColumn(cols, extras.mcDiscount);
      this.batch.mcReturns = new Float32Array(batchSize);
    }
  }

  /** A uniform batch; the returned object and its arrays are reused by the next call. */
  sample(rng: Rng): Batch {
    const { cols, batch } = this;
    const { obsDim, actDim } = cols;
    for (let k = 0; k < this.batchSize; k++) {
      const i = rng.int(cols.size);
      batch.observations.set(cols.observations.subarray(i * obsDim, (i + 1) * obsDim), k * obsDim);
      batch.nextObservations.set(cols.nextObservations.subarray(i * obsDim, (i + 1) * obsDim), k * obsDim);
      batch.actions.set(cols.actions.subarray(i * actDim, (i + 1) * actDim), k * actDim);
      batch.rewards[k] = cols.rewards[i];
      batch.terminals[k] = cols.terminals[i];
      if (this.nextActions)
        batch.nextActions?.set(this.nextActions.subarray(i * actDim, (i + 1) * actDim), k * actDim);
      if (this.mcReturns && batch.mcReturns) batch.mcReturns[k] = this.mcReturns[i];
    }
    return batch;
  }
}

/** Per-dimension observation mean and std (float64 accumulation; std floored at `minStd`). */
export function observationStats(
  cols: TransitionColumns,
  minStd = 1e-3,
): { mean: Float32Array; std: Float32Array } {
  const d = cols.obsDim;
  const sum = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let i = 0; i < cols.size; i++) {
    for (let j = 0; j < d; j++) {
      const x = cols.observations[i * d + j];
      sum[j] += x;
      sq[j] += x * x;
    }
  }
  const mean = new Float32Array(d);
  const std = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    const m = sum[j] / cols.size;
    mean[j] = m;
    std[j] = Math.max(minStd, Math.sqrt(Math.max(0, sq[j] / cols.size - m * m)));
  }
  return { mean, std };
}

/** IQL's locomotion reward scaling: 1000 / (max episode return - min episode return); 1 if undefined. */
export function returnRangeScale(cols: TransitionColumns): number {
  const returns = new Map<number, number>();
  for (let i = 0; i < cols.size; i++)
    returns.set(cols.episodes[i], (returns.get(cols.episodes[i]) ?? 0) + cols.rewards[i]);
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of returns.values()) {
    lo = Math.min(lo, r);
    hi = Math.max(hi, r);
  }
  return hi - lo > 1e-8 ? 1000 / (hi - lo) : 1;
}
