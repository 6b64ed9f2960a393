/**
 * ReBRAC's two BC penalties and its LayerNorm critics, worked out by hand: a plain forward pass of the
 * learner's own parameters (Dense → ReLU → LayerNorm per hidden layer, then linear) and the losses of the
 * paper written out row by row, against the metrics of the engine's update.
 */
import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import type { Batch } from "../../../src/rl/algos/learner.js";
import { create } from "../../../src/rl/algos/rebrac.js";

const OBS = 3;
const ACT = 2;
const HIDDEN = [8, 8];
const N = 6;

/** The twin critics of a flat `q/params`: both MLPs, then each critic's per-layer norm gains and biases. */
function critics(flat: Float32Array): (i: number, x: number[]) => number {
  const sizes = [OBS + ACT, ...HIDDEN, 1];
  let o = 0;
  const take = (k: number): number[] => Array.from(flat.subarray(o, (o += k)));
  const nets = [0, 1].map(() =>
    sizes.slice(1).map((out, l) => ({ w: take(sizes[l] * out), b: take(out), inDim: sizes[l], out })),
  );
  const norms = [0, 1].map(() => HIDDEN.map((h) => ({ gain: take(h), bias: take(h) })));
  expect(o).toBe(flat.length);
  return (i, x) => {
    let h = x;
    nets[i].forEach(({ w, b, inDim, out }, l) => {
      const z = b.map((bias, k) => bias + h.reduce((s, v, j) => s + v * w[j * out + k], 0));
      if (l + 1 === nets[i].length) return (h = z);
      expect(z.length).toBe(out);
      expect(h.length).toBe(inDim);
      const r = z.map((v) => Math.max(0, v));
      const mean = r.reduce((s, v) => s + v, 0) / r.length;
      const variance = r.reduce((s, v) => s + (v - mean) ** 2, 0) / r.length;
      h = r.map(
        (v, k) => ((v - mean) / Math.sqrt(variance + 1e-5)) * norms[i][l].gain[k] + norms[i][l].bias[k],
      );
    });
    return h[0];
  };
}

const row = (a: Float32Array, i: number, d: number): number[] => Array.from(a.subarray(i * d, (i + 1) * d));
const mean = (xs: number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length;
const sqDist = (a: number[], b: number[]): number => a.reduce((s, v, j) => s + (v - b[j]) ** 2, 0);

function batch(rng: Rng): Batch {
  const u = (k: number) => Float32Array.from({ length: k }, () => rng.uniform(-1, 1));
  return {
    size: N,
    observations: u(N * OBS),
    actions: u(N * ACT),
    rewards: u(N),
    nextObservations: u(N * OBS),
    terminals: Float32Array.from([0, 1, 0, 0, 1, 0]),
    nextActions: u(N * ACT),
  };
}

describe("ReBRAC losses by hand", () => {
  const config = { hidden: HIDDEN, actorBc: 0.7, criticBc: 0.3, policyNoise: 0, discount: 0.9 };

  it("critic: TD to r + γ(1-d)(min Q'(s', π'(s')) - β_critic Σ(π'(s') - a'_data)²) through LayerNorm critics", () => {
    const learner = create(config, { obsDim: OBS, actDim: ACT }, new Rng(3));
    const b = batch(new Rng(4));
    // Before any actor step the target actor is the actor, and the target critics are the critics.
    const piNext = learner.act(b.nextObservations);
    const q = critics(learner.stateDict().arrays["q/params"]);
    const m = learner.update(b);
    const bc = Array.from({ length: N }, (_, i) => sqDist(row(piNext, i, ACT), row(b.nextActions!, i, ACT)));
    expect(m["loss/critic_bc"]).toBeCloseTo(0.3 * mean(bc), 5);
    let loss = 0;
    for (let i = 0; i < N; i++) {
      const next = [...row(b.nextObservations, i, OBS), ...row(piNext, i, ACT)];
      const y = b.rewards[i] + 0.9 * (1 - b.terminals[i]) * (Math.min(q(0, next), q(1, next)) - 0.3 * bc[i]);
      const x = [...row(b.observations, i, OBS), ...row(b.actions, i, ACT)];
      loss += ((q(0, x) - y) ** 2 + (q(1, x) - y) ** 2) / N;
    }
    expect(m["loss/critic"]).toBeCloseTo(loss, 4);
    expect(m["loss/actor"]).toBeUndefined();
    learner.dispose();
  });

  it("actor: β_actor Σ(π(s) - a)² - min Q(s, π(s)) / mean|min Q| on the stepped critics; both β's decayed", () => {
    const learner = create(config, { obsDim: OBS, actDim: ACT }, new Rng(3));
    // A two-update fine-tune: the second update's β's are half the first's (linear decay, 1 - 1/2).
    learner.beginFinetune({ updates: 2 });
    const b = batch(new Rng(4));
    const pi = learner.act(b.observations);
    const piNext = learner.act(b.nextObservations);
    learner.update(b); // critic only (policyFreq 2): the actor and its target stay as they are
    const m = learner.update(b);
    const q = critics(learner.stateDict().arrays["q/params"]);
    // Second update: β's at half strength.
    const bc = mean(Array.from({ length: N }, (_, i) => sqDist(row(pi, i, ACT), row(b.actions, i, ACT))));
    expect(m["loss/actor_bc"]).toBeCloseTo(0.7 * 0.5 * bc, 5);
    const nextBc = Array.from({ length: N }, (_, i) =>
      sqDist(row(piNext, i, ACT), row(b.nextActions!, i, ACT)),
    );
    expect(m["loss/critic_bc"]).toBeCloseTo(0.3 * 0.5 * mean(nextBc), 5);
    const minQ = Array.from({ length: N }, (_, i) => {
      const x = [...row(b.observations, i, OBS), ...row(pi, i, ACT)];
      return Math.min(q(0, x), q(1, x));
    });
    const lambda = 1 / mean(minQ.map(Math.abs));
    expect(m["values/lambda"]).toBeCloseTo(lambda, 3);
    expect(m["loss/actor"]).toBeCloseTo(0.7 * 0.5 * bc - lambda * mean(minQ), 4);
    learner.dispose();
  });

  it("names the missing field when a batch has no next actions", () => {
    const learner = create(config, { obsDim: OBS, actDim: ACT }, new Rng(3));
    const b = batch(new Rng(4));
    delete b.nextActions;
    expect(() => learner.update(b)).toThrow(/rebrac needs batch\.nextActions/);
    learner.dispose();
  });
});

describe("ReBRAC's online BC decay (CORL's linear schedule)", () => {
  const config = { hidden: HIDDEN, actorBc: 0.7, criticBc: 0.3, policyNoise: 0, discount: 0.9 };

  it("keeps the full β's offline and decays both linearly from the first online update, floored at minBcScale", () => {
    for (const [minBcScale, want] of [
      [0, [1, 0.75, 0.5, 0.25, 0, 0]],
      [0.5, [1, 0.75, 0.5, 0.5, 0.5, 0.5]],
    ] as const) {
      const learner = create({ ...config, minBcScale }, { obsDim: OBS, actDim: ACT }, new Rng(3));
      const b = batch(new Rng(4));
      for (let i = 0; i < 3; i++) learner.update(b); // offline
      expect(learner.bcScale()).toBe(1);
      learner.beginFinetune({ updates: 4 });
      const got: number[] = [];
      for (let k = 0; k < 6; k++) {
        got.push(learner.bcScale());
        expect(learner.betas()).toEqual({ actor: 0.7 * got[k], critic: 0.3 * got[k] });
        learner.update(b);
      }
      expect(got).toEqual(want);
      learner.dispose();
    }
  });

  it("feeds the decayed β's to the update, and keeps the schedule through save and load", () => {
    const base = create(config, { obsDim: OBS, actDim: ACT }, new Rng(3));
    const b = batch(new Rng(4));
    base.update(b);
    base.update(b);
    const state = base.stateDict();
    base.dispose();
    // From the same weights, the k-th online update's critic penalty is the offline one times 1 - k/4.
    const criticBc = (k: number | undefined): number => {
      const l = create(config, { obsDim: OBS, actDim: ACT }, new Rng(99));
      const s = structuredClone(state);
      if (k !== undefined) {
        s.scalars["bc_decay/start"] = s.step - k;
        s.scalars["bc_decay/updates"] = 4;
      }
      l.loadStateDict(s);
      const m = l.update(b)["loss/critic_bc"];
      expect(l.stateDict().scalars["bc_decay/updates"]).toBe(k === undefined ? 0 : 4);
      l.dispose();
      return m;
    };
    const full = criticBc(undefined);
    expect(full).toBeGreaterThan(0);
    for (const k of [0, 1, 2, 3]) expect(criticBc(k)).toBeCloseTo(full * (1 - k / 4), 6);
  });

  it("refuses a negative or fractional plan", () => {
    const learner = create(config, { obsDim: OBS, actDim: ACT }, new Rng(3));
    expect(() => learner.beginFinetune({ updates: -1 })).toThrow(/integer >= 0/);
    expect(() => learner.beginFinetune({ updates: 1.5 })).toThrow(/integer >= 0/);
    learner.dispose();
  });
});
