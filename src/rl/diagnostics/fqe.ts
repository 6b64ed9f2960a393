/**
 * Fitted Q Evaluation (Le et al. 2019; Voloshin et al. 2021): off-policy estimate of a fixed policy's value
 * from the dataset alone. Q^π is regressed on r + γ (1 − terminal) Q'(s', π(s')) with a Polyak target, and
 * the estimate is the mean of Q^π(s0, π(s0)) over the dataset's episode start states (discounted return).
 * Sensitive to coverage (seed chapter, "Evaluation"): read it together with the support gap.
 */
import { assertFinite, NonFiniteError, ShapeMismatchError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import type { TransitionColumns } from "../../core/transitions.js";
import type { Graph, Value } from "../../tensor/graph.js";
import { GraphTrainer, type GroupValues } from "../algos/graph-trainer.js";
import { mlpGraph, ParamGroup } from "../networks/graph-mlp.js";
import { initParams, type MlpSpec } from "../networks/mlp-spec.js";
import { normalizeInto, rowStats } from "./observation-stats.js";

export interface FqeConfig {
  hidden: number[];
  steps: number;
  batchSize: number;
  lr: number;
  discount: number;
  /** Polyak rate of the target network. */
  tau: number;
  seed: number;
}

export const FQE_DEFAULTS: FqeConfig = {
  hidden: [256, 256],
  steps: 5000,
  batchSize: 256,
  lr: 3e-4,
  discount: 0.99,
  tau: 0.005,
  seed: 0,
};

export interface FqeResult {
  /** Mean Q^π(s0, π(s0)) over episode start states: the estimated discounted return. */
  initial_value: number;
  /** Mean Q^π(s, π(s)) over all dataset states. */
  mean_value: number;
  /** Final mean squared Bellman error. */
  bellman_loss: number;
  discount: number;
  steps: number;
  initial_states: number;
}

/** Deterministic policy over rows: `n × obsDim` raw observations -> `n × actDim` actions in [-1, 1]. */
export type BatchPolicy = (observations: Float32Array) => Float32Array;

export function runFqe(
  data: TransitionColumns,
  policy: BatchPolicy,
  overrides: Partial<FqeConfig> = {},
  onProgress?: (step: number, total: number, loss: number) => void,
): FqeResult {
  const cfg = { ...FQE_DEFAULTS, ...overrides };
  const { size, obsDim, actDim } = data;
  const nextActions = policy(data.nextObservations.subarray(0, size * obsDim));
  const stateActions = policy(data.observations.subarray(0, size * obsDim));
  if (nextActions.length !== size * actDim)
    throw new ShapeMismatchError("FQE policy actions", size * actDim, nextActions.length);
  assertFinite("FQE policy actions", nextActions);
  const { mean, std } = rowStats(data.observations.subarray(0, size * obsDim), obsDim);
  const obs = normalizeInto(data.observations.subarray(0, size * obsDim), mean, std);
  const nextObs = normalizeInto(data.nextObservations.subarray(0, size * obsDim), mean, std);
  const starts: number[] = [];
  for (let i = 0; i < size; i++) if (i === 0 || data.episodes[i] !== data.episodes[i - 1]) starts.push(i);

  const inDim = obsDim + actDim;
  const spec: MlpSpec = { sizes: [inDim, ...cfg.hidden, 1], hidden: "relu", output: "linear" };
  const rng = new Rng(cfg.seed);
  const group = new ParamGroup("fqe_q", [spec]);
  const B = Math.min(cfg.batchSize, size);
  const q = (g: Graph, nets: GroupValues, x: Value, which: "params" | "target" = "params"): Value =>
    mlpGraph(g, spec, nets.layers(0, which), x);
  const trainer = new GraphTrainer(
    "fqe",
    [
      {
        group,
        init: initParams([spec], rng),
        adam: { lr: cfg.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
        target: true,
      },
    ],
    (g, nets, n, optimize) => {
      const net = nets[group.name];
      // y = r + γ (1 − terminal) Q'(s', π(s')); the target network is state, not a trained parameter.
      const y = g.add(
        g.input("r", [n, 1]),
        g.mul(g.input("disc", [n, 1]), q(g, net, g.input("x_next", [n, inDim]), "target")),
      );
      const loss = g.mean(g.square(g.sub(q(g, net, g.input("x", [n, inDim])), y)));
      optimize(group.name, loss);
      return { metrics: { loss }, polyak: { [group.name]: cfg.tau } };
    },
  );
  const x = new Float32Array(B * inDim);
  const xNext = new Float32Array(B * inDim);
  const r = new Float32Array(B);
  const disc = new Float32Array(B);
  const row = (dst: Float32Array, k: number, o: Float32Array, a: Float32Array, i: number): void => {
    dst.set(o.subarray(i * obsDim, (i + 1) * obsDim), k * inDim);
    dst.set(a.subarray(i * actDim, (i + 1) * actDim), k * inDim + obsDim);
  };
  let loss = Number.NaN;
  try {
    for (let step = 0; step < cfg.steps; step++) {
      for (let k = 0; k < B; k++) {
        const i = rng.int(size);
        row(x, k, obs, data.actions, i);
        row(xNext, k, nextObs, nextActions, i);
        r[k] = data.rewards[i];
        disc[k] = cfg.discount * (1 - data.terminals[i]);
      }
      const stepLoss = trainer.update({ x, x_next: xNext, r, disc }, B).loss;
      if (step === cfg.steps - 1 || (onProgress && step % 200 === 0)) {
        loss = stepLoss;
        if (!Number.isFinite(loss))
          throw new NonFiniteError("FQE Bellman loss", step, loss, {
            hint: "lower --fqe-lr or check the dataset's rewards",
          });
        onProgress?.(step + 1, cfg.steps, loss);
      }
    }
    const values = qValues(trainer, q, obs, stateActions, size, obsDim, actDim);
    let total = 0;
    for (let i = 0; i < size; i++) total += values[i];
    let initial = 0;
    for (const i of starts) initial += values[i];
    return {
      initial_value: initial / starts.length,
      mean_value: total / size,
      bellman_loss: loss,
      discount: cfg.discount,
      steps: cfg.steps,
      initial_states: starts.length,
    };
  } finally {
    trainer.dispose();
  }
}

/** Q^π(s, a) of every row, in chunks (one forward program per chunk size). */
function qValues(
  trainer: GraphTrainer,
  q: (g: Graph, nets: GroupValues, x: Value) => Value,
  obs: Float32Array,
  actions: Float32Array,
  n: number,
  obsDim: number,
  actDim: number,
): Float32Array {
  const out = new Float32Array(n);
  const chunk = 4096;
  const inDim = obsDim + actDim;
  for (let start = 0; start < n; start += chunk) {
    const m = Math.min(chunk, n - start);
    const x = new Float32Array(m * inDim);
    for (let i = 0; i < m; i++) {
      x.set(obs.subarray((start + i) * obsDim, (start + i + 1) * obsDim), i * inDim);
      x.set(actions.subarray((start + i) * actDim, (start + i + 1) * actDim), i * inDim + obsDim);
    }
    const v = trainer.forward("q", m, (g, nets) => q(g, nets.fqe_q, g.input("x", [m, inDim])), { x });
    out.set(v, start);
  }
  return out;
}
