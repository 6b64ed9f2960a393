/**
 * Optimizer and target-network updates as graph nodes, so one run of a training program applies them.
 * Adam matches torch.optim.Adam (bias-corrected, eps outside the sqrt); the bias corrections depend on the
 * step count, so they enter as two scalar inputs per optimizer computed by `adamScalars`.
 */
import type { Graph, Value } from "./graph.js";

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export const ADAM_DEFAULTS: AdamConfig = { lr: 3e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** The per-step scalars of Adam: p -= stepSize · m / (sqrt(v) + epsHat), for step `t` (1-based). */
export function adamScalars(
  config: AdamConfig,
  t: number,
  lr = config.lr,
): { stepSize: number; epsHat: number } {
  const c1 = 1 - config.beta1 ** t;
  const c2 = 1 - config.beta2 ** t;
  // torch: p -= lr/c1 · m / (sqrt(v)/sqrt(c2) + eps) == (lr·sqrt(c2)/c1) · m / (sqrt(v) + eps·sqrt(c2)).
  return { stepSize: (lr * Math.sqrt(c2)) / c1, epsHat: config.eps * Math.sqrt(c2) };
}

export interface AdamSlot {
  param: Value;
  m: Value;
  v: Value;
}

/** Scalar graph inputs of one optimizer's bias-corrected step size and epsilon. */
export interface AdamInputs {
  stepSize: Value;
  epsHat: Value;
}

export function adamInputs(g: Graph, name: string): AdamInputs {
  return { stepSize: g.input(`${name}/step_size`, []), epsHat: g.input(`${name}/eps_hat`, []) };
}

/** One Adam step of one tensor: the next parameter and moments. */
export function adamUpdate(
  g: Graph,
  slot: AdamSlot,
  grad: Value,
  inputs: AdamInputs,
  config: AdamConfig,
): AdamSlot {
  const m = g.add(g.mul(slot.m, config.beta1), g.mul(grad, 1 - config.beta1));
  const v = g.add(g.mul(slot.v, config.beta2), g.mul(g.square(grad), 1 - config.beta2));
  const update = g.div(g.mul(m, inputs.stepSize), g.add(g.sqrt(v), inputs.epsHat));
  return { param: g.sub(slot.param, update), m, v };
}

/** Polyak averaging: target + τ (source - target). */
export function polyakUpdate(g: Graph, target: Value, source: Value, tau: number): Value {
  return g.add(target, g.mul(g.sub(source, target), tau));
}
