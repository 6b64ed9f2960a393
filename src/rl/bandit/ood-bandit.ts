/**
 * The seed chapter's minimal offline-RL experiment (offline-rl-chapter.txt, "Minimal Practice"): a contextual
 * bandit whose data covers a narrow action band, showing that maximizing a Q fitted on that data runs to
 * actions the data never showed, while conservative (CQL), behavior-regularized (TD3+BC) and in-sample
 * (IQL, AWAC) methods stay near the data.
 *
 * Data: s ~ U[-1, 1], target(s) = 0.35 sin(2.5 s), behavior a = clip(0.2 target + N(0, 0.04²), -1, 1),
 * reward r = -(a - target)², 6000 samples. Q: 2→128→128→1 ReLU fitted to r (1500 Adam steps, lr 3e-4,
 * batch 256); CQL adds α (logsumexp over 20 uniform random actions − Q on data actions), α = 0.2.
 * Actors: 1→64→64→1 (ReLU hidden, tanh output), 1200 steps maximizing Q; TD3+BC adds 3.0 × MSE to data
 * actions. Evaluation on 1000 evenly spaced states: return = mean reward of the policy's action,
 * support_gap = mean |π(s) − a_β(s)| against behavior actions drawn at those states (so the behavior
 * policy's own gap is 0, as in the chapter's table).
 *
 * Departures from the chapter, stated: IQL, AWAC, Cal-QL and ReBRAC rows are added (the issues ask for
 * them, #22 for the last two); in a bandit there is no next state, so IQL's Q is the reward regression (the
 * naive Q), V its 0.7-expectile over data actions, and both actors are advantage-weighted regressions onto
 * data actions. Their temperatures are set for this reward scale (advantages here are ~1e-2, not the ~1e0
 * of locomotion returns the paper defaults assume): β = 100 for IQL, λ = 0.01 for AWAC.
 *
 * Cal-QL is the CQL row's Q with the penalty's Q-values at the random actions replaced by max(Q(s, a), G),
 * G the Monte-Carlo return-to-go of the data row's state, which in a bandit is its observed reward (a
 * one-sample estimate of the behavior policy's value at s); CQL's α and random actions, and CQL's actor.
 * In Cal-QL's paper the calibrated actions are the learned policy's; here, as in the chapter's CQL, the
 * penalty's actions are uniform, so those are the ones calibrated.
 * ReBRAC is TD3+BC with a LayerNorm after each hidden ReLU of the critic (fitted to r like the naive Q) and
 * the actor loss mean(β_actor (π − a)² − λ Q(s, π)), λ = 1 / mean|Q(s, π)| held constant. ReBRAC's second
 * penalty, β_critic (a' − a'_data)² on the next action inside the bootstrapped target, has nothing to act
 * on in a bandit: every transition is terminal, the target is r. One critic (as the TD3+BC row), the
 * chapter's widths and batch, not the paper's 3 × 256 and 1024.
 */
import { Rng } from "../../core/rng.js";
import type { Graph, Value } from "../../tensor/graph.js";
import { asymmetricL2 } from "../algos/iql.js";
import { supportGap } from "../diagnostics/support-gap.js";
import { evalNet, fitNet, makeNet, type Apply, type BanditNet } from "./bandit-nets.js";

export interface OodBanditConfig {
  seed: number;
  /** Dataset size. */
  samples: number;
  /** Q and V hidden width (two hidden layers). */
  qHidden: number;
  qSteps: number;
  qLr: number;
  batchSize: number;
  /** CQL conservative weight α and number of uniform random actions per state. */
  cqlAlpha: number;
  cqlRandomActions: number;
  /** Actor hidden width (two hidden layers). */
  actorHidden: number;
  actorSteps: number;
  actorLr: number;
  /** TD3+BC: weight of the MSE to data actions added to −Q. */
  td3bcWeight: number;
  /** IQL: expectile of V over data actions, and the advantage temperature β (weights exp(β A), capped). */
  iqlExpectile: number;
  iqlBeta: number;
  /** AWAC: temperature λ (weights exp(A / λ), capped). */
  awacLambda: number;
  /**
   * ReBRAC: β_actor, the weight of the actor's BC penalty against the λ-normalized Q. Set for this reward
   * scale like IQL's and AWAC's temperatures: with λ = 1 / mean|Q| ≈ 1 / 0.03, β = 100 weighs the BC term
   * against Q as the TD3+BC row's 3 × MSE does (CORL's default 1 assumes locomotion-sized Q).
   */
  rebracActorBc: number;
  /** Cap on exp-advantage weights (IQL, AWAC), as in the papers' implementations. */
  maxWeight: number;
  evalStates: number;
}

export const OOD_BANDIT_DEFAULTS: OodBanditConfig = {
  seed: 0,
  samples: 6000,
  qHidden: 128,
  qSteps: 1500,
  qLr: 3e-4,
  batchSize: 256,
  cqlAlpha: 0.2,
  cqlRandomActions: 20,
  actorHidden: 64,
  actorSteps: 1200,
  actorLr: 3e-4,
  td3bcWeight: 3.0,
  iqlExpectile: 0.7,
  iqlBeta: 100,
  awacLambda: 0.01,
  rebracActorBc: 100,
  maxWeight: 100,
  evalStates: 1000,
};

/** Row names, in the chapter's order plus the added rows. */
export const OOD_BANDIT_ROWS = [
  "behavior_policy",
  "oracle_policy",
  "naive_q_actor",
  "cql_actor",
  "td3bc_actor",
  "iql_actor",
  "awac_actor",
  "calql_actor",
  "rebrac_actor",
] as const;
export type OodBanditRow = (typeof OOD_BANDIT_ROWS)[number];

export interface OodBanditRowResult {
  return: number;
  support_gap: number;
}
export type OodBanditResult = Record<OodBanditRow, OodBanditRowResult>;

export type OodBanditProgress = (phase: string, step: number, total: number) => void;

export const banditTarget = (s: number): number => 0.35 * Math.sin(2.5 * s);

export function behaviorAction(s: number, rng: Rng): number {
  return Math.min(1, Math.max(-1, 0.2 * banditTarget(s) + rng.normal(0, 0.04)));
}

export interface BanditData {
  states: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
}

export function makeBanditData(n: number, rng: Rng): BanditData {
  const states = new Float32Array(n);
  const actions = new Float32Array(n);
  const rewards = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = rng.uniform(-1, 1);
    const a = behaviorAction(s, rng);
    states[i] = s;
    actions[i] = a;
    rewards[i] = -((a - banditTarget(s)) ** 2);
  }
  return { states, actions, rewards };
}

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

/** (s, a) rows, [n, 2]. */
function pairs(s: Float32Array, a: Float32Array): Float32Array {
  const x = new Float32Array(2 * s.length);
  for (let k = 0; k < s.length; k++) {
    x[2 * k] = s[k];
    x[2 * k + 1] = a[k];
  }
  return x;
}

/**
 * The Q fits: `naive` and `rebrac` (LayerNorm after each hidden ReLU) regress Q(s, a) on rewards; `cql` adds
 * α (mean logsumexp over random actions − mean Q on data); `calql` the same with each random action's Q
 * replaced by max(Q, r), r the data row's reward (its state's return-to-go in a bandit).
 */
type QKind = "naive" | "cql" | "calql" | "rebrac";

function fitQ(
  cfg: OodBanditConfig,
  data: BanditData,
  rng: Rng,
  kind: QKind,
  progress?: OodBanditProgress,
): BanditNet {
  const h = cfg.qHidden;
  const B = cfg.batchSize;
  const conservative = kind === "cql" || kind === "calql";
  const N = conservative ? cfg.cqlRandomActions : 0;
  const phase = `${kind}_q`;
  const net = makeNet(rng, [2, h, h, 1], "linear", kind === "rebrac");
  return fitNet(
    phase,
    {
      net,
      lr: cfg.qLr,
      frozen: {},
      inputs: { x: [B * (N + 1), 2], r: [B, 1] },
      loss: (g, nets, { x, r }) => {
        // Data rows first, then B × N rows of (state, uniform random action): one forward pass.
        const out = nets.self(x);
        const qData = g.slice(out, 0, 0, B);
        const mse = g.mean(g.square(g.sub(qData, r)));
        if (!conservative) return mse;
        const qRand = g.reshape(g.slice(out, 0, B, B * (N + 1)), [B, N]);
        const pushed = kind === "calql" ? g.max(qRand, r) : qRand;
        return g.add(mse, g.mul(g.sub(g.mean(g.logSumExp(pushed, 1)), g.mean(qData)), cfg.cqlAlpha));
      },
    },
    cfg.qSteps,
    () => {
      const { s, a, r } = sampleBatch(data, rng, B);
      const x = new Float32Array(2 * B * (N + 1));
      x.set(pairs(s, a));
      for (let k = 0; k < B * N; k++) {
        x[2 * (B + k)] = s[Math.floor(k / N)];
        x[2 * (B + k) + 1] = rng.uniform(-1, 1);
      }
      return { x, r };
    },
    (step) => progress?.(phase, step + 1, cfg.qSteps),
  );
}

/** V(s) as the `expectile` of Q(s, a) over data actions (IQL's value step). */
function fitExpectileV(
  cfg: OodBanditConfig,
  data: BanditData,
  q: BanditNet,
  rng: Rng,
  progress?: OodBanditProgress,
): BanditNet {
  const h = cfg.qHidden;
  const B = cfg.batchSize;
  return fitNet(
    "iql_v",
    {
      net: makeNet(rng, [1, h, h, 1], "linear"),
      lr: cfg.qLr,
      frozen: { q },
      inputs: { s: [B, 1], sa: [B, 2] },
      loss: (g, nets, { s, sa }) => asymmetricL2(g, g.sub(nets.q(sa), nets.self(s)), cfg.iqlExpectile),
    },
    cfg.qSteps,
    () => {
      const { s, a } = sampleBatch(data, rng, B);
      return { s, sa: pairs(s, a) };
    },
    (step) => progress?.("iql_v", step + 1, cfg.qSteps),
  );
}

/** An actor's loss on a batch: `pi` = π(s), `s` [B, 1], `a` data actions [B, 1], `sa` their pairs. */
type ActorLoss = (
  g: Graph,
  nets: Record<string, Apply>,
  b: { pi: Value; s: Value; a: Value; sa: Value },
) => Value;

function fitActor(
  cfg: OodBanditConfig,
  data: BanditData,
  rng: Rng,
  phase: string,
  frozen: Record<string, BanditNet>,
  loss: ActorLoss,
  progress?: OodBanditProgress,
): BanditNet {
  const h = cfg.actorHidden;
  const B = cfg.batchSize;
  return fitNet(
    phase,
    {
      net: makeNet(rng, [1, h, h, 1], "tanh"),
      lr: cfg.actorLr,
      frozen,
      inputs: { s: [B, 1], a: [B, 1], sa: [B, 2] },
      loss: (g, nets, { s, a, sa }) => loss(g, nets, { pi: nets.self(s), s, a, sa }),
    },
    cfg.actorSteps,
    () => {
      const { s, a } = sampleBatch(data, rng, B);
      return { s, a, sa: pairs(s, a) };
    },
    (step) => progress?.(phase, step + 1, cfg.actorSteps),
  );
}

/** −mean Q(s, π(s)) (+ bcWeight × mean (π − a)² for TD3+BC): the gradient reaches π through Q's action input. */
function maximizeQ(bcWeight: number): ActorLoss {
  return (g, nets, { pi, s, a }) => {
    const objective = g.neg(g.mean(nets.q(g.concat([s, pi], 1))));
    return bcWeight > 0 ? g.add(objective, g.mul(g.mean(g.square(g.sub(pi, a))), bcWeight)) : objective;
  };
}

/** ReBRAC's actor: mean(β (π − a)² − λ Q(s, π)), λ = 1 / mean|Q(s, π)| without gradient. */
function rebracActor(beta: number): ActorLoss {
  return (g, nets, { pi, s, a }) => {
    const q = nets.q(g.concat([s, pi], 1));
    const lambda = g.stopGradient(g.div(1, g.add(g.mean(g.abs(q)), 1e-8)));
    return g.sub(g.mul(g.mean(g.square(g.sub(pi, a))), beta), g.mul(lambda, g.mean(q)));
  };
}

/** Advantage-weighted regression onto data actions: mean(w (π − a)²), w held constant. */
function weightedRegression(
  weights: (g: Graph, nets: Record<string, Apply>, b: Parameters<ActorLoss>[2]) => Value,
): ActorLoss {
  return (g, nets, b) => g.mean(g.mul(g.stopGradient(weights(g, nets, b)), g.square(g.sub(b.pi, b.a))));
}

/** The training phases in the order they run, with their Adam step counts (the demo's progress bar). */
export function oodBanditPhases(cfg: OodBanditConfig): [phase: string, steps: number][] {
  const [q, a] = [cfg.qSteps, cfg.actorSteps];
  return [
    ["naive_q", q],
    ["cql_q", q],
    ["iql_v", q],
    ["naive_actor", a],
    ["cql_actor", a],
    ["td3bc_actor", a],
    ["iql_actor", a],
    ["awac_actor", a],
    ["calql_q", q],
    ["rebrac_q", q],
    ["calql_actor", a],
    ["rebrac_actor", a],
  ];
}

/** Every fitted network of the experiment, by name (flat parameters), and each actor row's network. */
export interface OodBanditNets {
  nets: Record<string, BanditNet>;
  actors: [OodBanditRow, BanditNet][];
}

export function trainOodBanditNets(
  cfg: OodBanditConfig,
  rng: Rng,
  data: BanditData,
  progress?: OodBanditProgress,
): OodBanditNets {
  const naiveQ = fitQ(cfg, data, rng.fork(), "naive", progress);
  const cqlQ = fitQ(cfg, data, rng.fork(), "cql", progress);
  const v = fitExpectileV(cfg, data, naiveQ, rng.fork(), progress);
  const capped = (g: Graph, x: Value): Value => g.min(g.exp(x), cfg.maxWeight);
  const iqlWeights = weightedRegression((g, nets, { s, sa }) =>
    capped(g, g.mul(g.sub(nets.q(sa), nets.v(s)), cfg.iqlBeta)),
  );
  // AWAC: A = Q(s, a) − Q(s, π(s)) with the current actor's action (the paper's advantage estimate).
  const awacWeights = weightedRegression((g, nets, { pi, s, sa }) =>
    capped(g, g.div(g.sub(nets.q(sa), nets.q(g.concat([s, pi], 1))), cfg.awacLambda)),
  );
  const actors: [OodBanditRow, BanditNet][] = [
    ["naive_q_actor", fitActor(cfg, data, rng.fork(), "naive_actor", { q: naiveQ }, maximizeQ(0), progress)],
    ["cql_actor", fitActor(cfg, data, rng.fork(), "cql_actor", { q: cqlQ }, maximizeQ(0), progress)],
    [
      "td3bc_actor",
      fitActor(cfg, data, rng.fork(), "td3bc_actor", { q: naiveQ }, maximizeQ(cfg.td3bcWeight), progress),
    ],
    ["iql_actor", fitActor(cfg, data, rng.fork(), "iql_actor", { q: naiveQ, v }, iqlWeights, progress)],
    ["awac_actor", fitActor(cfg, data, rng.fork(), "awac_actor", { q: naiveQ }, awacWeights, progress)],
  ];
  // Forked after the chapter's rows and IQL/AWAC, so those keep their numbers for a seed.
  const calqlQ = fitQ(cfg, data, rng.fork(), "calql", progress);
  const rebracQ = fitQ(cfg, data, rng.fork(), "rebrac", progress);
  actors.push(
    ["calql_actor", fitActor(cfg, data, rng.fork(), "calql_actor", { q: calqlQ }, maximizeQ(0), progress)],
    [
      "rebrac_actor",
      fitActor(
        cfg,
        data,
        rng.fork(),
        "rebrac_actor",
        { q: rebracQ },
        rebracActor(cfg.rebracActorBc),
        progress,
      ),
    ],
  );
  const nets: Record<string, BanditNet> = {
    naive_q: naiveQ,
    cql_q: cqlQ,
    iql_v: v,
    calql_q: calqlQ,
    rebrac_q: rebracQ,
  };
  for (const [row, net] of actors) nets[row] = net;
  return { nets, actors };
}

function evaluate(
  actions: ArrayLike<number>,
  states: Float32Array,
  behavior: Float32Array,
): OodBanditRowResult {
  let total = 0;
  for (let i = 0; i < states.length; i++) total -= (actions[i] - banditTarget(states[i])) ** 2;
  return {
    return: total / states.length,
    support_gap: supportGap(Float64Array.from(actions), Float64Array.from(behavior), 1),
  };
}

/** Runs the whole experiment on the engine. Deterministic for a seed. */
export function runOodBandit(
  overrides: Partial<OodBanditConfig> = {},
  progress?: OodBanditProgress,
): OodBanditResult {
  const cfg: OodBanditConfig = { ...OOD_BANDIT_DEFAULTS, ...overrides };
  const rng = new Rng(cfg.seed);
  const data = makeBanditData(cfg.samples, rng.fork());
  const evalStates = Float32Array.from(
    { length: cfg.evalStates },
    (_, i) => -1 + (2 * i) / (cfg.evalStates - 1),
  );
  const evalRng = rng.fork();
  const behaviorAtEval = Float32Array.from(evalStates, (s) => behaviorAction(s, evalRng));
  const { actors } = trainOodBanditNets(cfg, rng, data, progress);
  const result = {
    behavior_policy: evaluate(behaviorAtEval, evalStates, behaviorAtEval),
    oracle_policy: evaluate(Float64Array.from(evalStates, banditTarget), evalStates, behaviorAtEval),
  } as OodBanditResult;
  for (const [row, net] of actors)
    result[row] = evaluate(evalNet(net, evalStates), evalStates, behaviorAtEval);
  return result;
}

/** The chapter's table layout: `name return=-0.0480 support_gap=0.0000`. */
export function formatOodBanditTable(result: OodBanditResult): string {
  const width = Math.max(...OOD_BANDIT_ROWS.map((r) => r.length));
  return OOD_BANDIT_ROWS.map((row) => {
    const { return: ret, support_gap: gap } = result[row];
    const r = ret.toFixed(4);
    return `${row.padEnd(width)} return=${r.startsWith("-") ? r : ` ${r}`} support_gap=${gap.toFixed(4)}`;
  }).join("\n");
}
