/**
 * The tfjs bandit learners (hand-written backward passes), kept only to prove the engine port in
 * ood-bandit.ts trains the same networks (test/rl/bandit/bandit-engine-match.test.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "../../core/rng.js";
import { applyGrads, backward, disposeMlp, forward, makeMlp, type Mlp, type Tape } from "./bandit-mlp.js";
import { type BanditData, type OodBanditConfig, type OodBanditRow } from "./ood-bandit.js";

function sampleBatch(
  data: BanditData,
  rng: Rng,
  size: number,
): { s: Float32Array; a: Float32Array; r: Float32Array } {
  const n = data.states.length;
  const s = new Float32Array(size);
  const a = new Float32Array(size);
  const r = new Float32Array(size);
  for (let k = 0; k < size; k++) {
    const i = rng.int(n);
    s[k] = data.states[i];
    a[k] = data.actions[i];
    r[k] = data.rewards[i];
  }
  return { s, a, r };
}

const col = (v: Float32Array): tf.Tensor2D => tf.tensor2d(v, [v.length, 1]);
const pair = (s: tf.Tensor2D, a: tf.Tensor2D): tf.Tensor2D => tf.concat([s, a], 1);

/** Q(s, a) regressed on rewards; with `conservative`, plus α (logsumexp over random actions − Q on data). */
function fitQ(
  cfg: OodBanditConfig,
  data: BanditData,
  rng: Rng,
  conservative: boolean,
  progress?: (phase: string, step: number, total: number) => void,
): Mlp {
  const h = cfg.qHidden;
  const q = makeMlp(rng, [2, h, h, 1], "linear");
  const opt = tf.train.adam(cfg.qLr);
  const B = cfg.batchSize;
  const N = cfg.cqlRandomActions;
  const phase = conservative ? "cql_q" : "naive_q";
  for (let step = 0; step < cfg.qSteps; step++) {
    const { s, a, r } = sampleBatch(data, rng, B);
    let x = new Float32Array(2 * B);
    for (let k = 0; k < B; k++) {
      x[2 * k] = s[k];
      x[2 * k + 1] = a[k];
    }
    if (conservative) {
      // Data rows first, then B × N rows of (state, uniform random action): one forward, one backward.
      const all = new Float32Array(2 * B * (N + 1));
      all.set(x);
      for (let k = 0; k < B * N; k++) {
        all[2 * (B + k)] = s[Math.floor(k / N)];
        all[2 * (B + k) + 1] = rng.uniform(-1, 1);
      }
      x = all;
    }
    tf.tidy(() => {
      const tape: Tape = { inputs: [], outputs: [] };
      const out = forward(q, tf.tensor2d(x, [x.length / 2, 2]), tape);
      const qData = tf.slice(out, [0, 0], [B, 1]);
      // d/dq mean((q - r)^2) = 2 (q - r) / B
      let dData: tf.Tensor2D = tf.mul(tf.sub(qData, col(r)), 2 / B);
      let dOut = dData;
      if (conservative) {
        const qRand = tf.reshape(tf.slice(out, [B, 0], [B * N, 1]), [B, N]);
        // d/dq_rand α mean_b logsumexp_n q_rand = α softmax(q_rand) / B ; d/dq_data (−α mean q_data) = −α / B
        const dRand = tf.reshape<tf.Rank.R2>(tf.mul(tf.softmax(qRand), cfg.cqlAlpha / B), [B * N, 1]);
        dData = tf.sub(dData, cfg.cqlAlpha / B);
        dOut = tf.concat([dData, dRand], 0);
      }
      applyGrads(opt, q, backward(q, tape, dOut).grads);
    });
    progress?.(phase, step + 1, cfg.qSteps);
  }
  opt.dispose();
  return q;
}

/** V(s) as the `expectile` of Q(s, a) over data actions (IQL's value step). */
function fitExpectileV(
  cfg: OodBanditConfig,
  data: BanditData,
  q: Mlp,
  rng: Rng,
  progress?: (phase: string, step: number, total: number) => void,
): Mlp {
  const h = cfg.qHidden;
  const v = makeMlp(rng, [1, h, h, 1], "linear");
  const opt = tf.train.adam(cfg.qLr);
  const B = cfg.batchSize;
  const tau = cfg.iqlExpectile;
  for (let step = 0; step < cfg.qSteps; step++) {
    const { s, a } = sampleBatch(data, rng, B);
    tf.tidy(() => {
      const st = col(s);
      const target = forward(q, pair(st, col(a)));
      const tape: Tape = { inputs: [], outputs: [] };
      const diff = tf.sub(target, forward(v, st, tape));
      const weight = tf.where(tf.greater(diff, 0), tf.fill(diff.shape, tau), tf.fill(diff.shape, 1 - tau));
      // L = mean(w diff^2), diff = target − v  =>  dL/dv = −2 w diff / B
      const dv = tf.mul(tf.mul(weight, diff), -2 / B) as tf.Tensor2D;
      applyGrads(opt, v, backward(v, tape, dv).grads);
    });
    progress?.("iql_v", step + 1, cfg.qSteps);
  }
  opt.dispose();
  return v;
}

/** dLoss/dπ(s) for one batch (all divided by B already); tensors are freed by the caller's tidy. */
type ActorGrad = (pi: tf.Tensor2D, s: tf.Tensor2D, a: tf.Tensor2D) => tf.Tensor2D;

function fitActor(
  cfg: OodBanditConfig,
  data: BanditData,
  rng: Rng,
  phase: string,
  grad: ActorGrad,
  progress?: (phase: string, step: number, total: number) => void,
): Mlp {
  const h = cfg.actorHidden;
  const actor = makeMlp(rng, [1, h, h, 1], "tanh");
  const opt = tf.train.adam(cfg.actorLr);
  for (let step = 0; step < cfg.actorSteps; step++) {
    const { s, a } = sampleBatch(data, rng, cfg.batchSize);
    tf.tidy(() => {
      const st = col(s);
      const tape: Tape = { inputs: [], outputs: [] };
      const pi = forward(actor, st, tape);
      applyGrads(opt, actor, backward(actor, tape, grad(pi, st, col(a))).grads);
    });
    progress?.(phase, step + 1, cfg.actorSteps);
  }
  opt.dispose();
  return actor;
}

/** −mean Q(s, π(s)) (+ bcWeight × mean (π − a)^2 for TD3+BC): gradient through Q's action input. */
function maximizeQ(q: Mlp, bcWeight: number, B: number): ActorGrad {
  return (pi, s, a) => {
    const tape: Tape = { inputs: [], outputs: [] };
    forward(q, pair(s, pi), tape);
    const { dx } = backward(q, tape, tf.fill([B, 1], -1 / B) as tf.Tensor2D, true);
    let dpi = tf.slice(dx as tf.Tensor2D, [0, 1], [B, 1]);
    if (bcWeight > 0) dpi = tf.add(dpi, tf.mul(tf.sub(pi, a), (2 * bcWeight) / B));
    return dpi;
  };
}

/** Advantage-weighted regression onto data actions: mean(w (π − a)^2), w held constant. */
function weightedRegression(
  weights: (s: tf.Tensor2D, a: tf.Tensor2D, pi: tf.Tensor2D) => tf.Tensor2D,
  B: number,
): ActorGrad {
  return (pi, s, a) => tf.mul(tf.mul(weights(s, a, pi), tf.sub(pi, a)), 2 / B);
}

/** The flat parameters of every network the experiment fits (trainOodBanditNets' names). */
export function trainOodBanditNetsTfjs(
  cfg: OodBanditConfig,
  rng: Rng,
  data: BanditData,
): Record<string, Float32Array> {
  const progress = undefined;
  const nets: Mlp[] = [];
  try {
    const naiveQ = fitQ(cfg, data, rng.fork(), false, progress);
    nets.push(naiveQ);
    const cqlQ = fitQ(cfg, data, rng.fork(), true, progress);
    nets.push(cqlQ);
    const v = fitExpectileV(cfg, data, naiveQ, rng.fork(), progress);
    nets.push(v);

    const B = cfg.batchSize;
    const iqlWeights = (st: tf.Tensor2D, at: tf.Tensor2D): tf.Tensor2D =>
      tf.minimum(
        tf.exp(tf.mul(cfg.iqlBeta, tf.sub(forward(naiveQ, pair(st, at)), forward(v, st)))),
        cfg.maxWeight,
      );
    // AWAC: A = Q(s, a) − Q(s, π(s)) with the current actor's action (the paper's advantage estimate).
    const awacWeights = (st: tf.Tensor2D, at: tf.Tensor2D, pi: tf.Tensor2D): tf.Tensor2D =>
      tf.minimum(
        tf.exp(tf.div(tf.sub(forward(naiveQ, pair(st, at)), forward(naiveQ, pair(st, pi))), cfg.awacLambda)),
        cfg.maxWeight,
      );

    const actors: [OodBanditRow, Mlp][] = [];
    const add = (row: OodBanditRow, net: Mlp): void => {
      nets.push(net);
      actors.push([row, net]);
    };
    add("naive_q_actor", fitActor(cfg, data, rng.fork(), "naive_actor", maximizeQ(naiveQ, 0, B), progress));
    add("cql_actor", fitActor(cfg, data, rng.fork(), "cql_actor", maximizeQ(cqlQ, 0, B), progress));
    add(
      "td3bc_actor",
      fitActor(cfg, data, rng.fork(), "td3bc_actor", maximizeQ(naiveQ, cfg.td3bcWeight, B), progress),
    );
    add(
      "iql_actor",
      fitActor(cfg, data, rng.fork(), "iql_actor", weightedRegression(iqlWeights, B), progress),
    );
    add(
      "awac_actor",
      fitActor(cfg, data, rng.fork(), "awac_actor", weightedRegression(awacWeights, B), progress),
    );

    const out: Record<string, Float32Array> = {};
    const flat = (net: Mlp): Float32Array => {
      const parts = net.vars.map((v) => v.dataSync() as Float32Array);
      const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        all.set(p, o);
        o += p.length;
      }
      return all;
    };
    out.naive_q = flat(naiveQ);
    out.cql_q = flat(cqlQ);
    out.iql_v = flat(v);
    for (const [row, net] of actors) out[row] = flat(net);
    return out;
  } finally {
    nets.forEach(disposeMlp);
  }
}
