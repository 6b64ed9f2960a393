/**
 * Transformer pieces as compositions of graph ops (so their gradients come from the rules autodiff already
 * checks): softmax, exact GELU, layer normalization, and causal attention masks (embedding lookup is graph.gather).
 */
import type { Graph, Value } from "./graph.js";

/** Softmax over the last axis, shifted by the (gradient-free) maximum so exp cannot overflow. */
export function softmax(g: Graph, x: Value): Value {
  const axis = x.shape.length - 1;
  const e = g.exp(g.sub(x, g.maxNoGrad(x, [axis], true)));
  return g.div(e, g.sum(e, [axis], true));
}

/** GELU as torch.nn.GELU computes it by default: x · Φ(x) = 0.5 x (1 + erf(x / √2)). */
export function gelu(g: Graph, x: Value): Value {
  return g.mul(g.mul(x, 0.5), g.add(g.erf(g.mul(x, Math.SQRT1_2)), 1));
}

/**
 * An additive mask [t, t]: 0 where key j ≤ query i, -1e9 after it. Added to attention scores before the
 * softmax, it gives later tokens weight exp(-1e9) = 0 (and, unlike -Infinity, no NaN in float arithmetic).
 */
export function causalMask(g: Graph, t: number): Value {
  const values = new Array<number>(t * t);
  for (let i = 0; i < t; i++) for (let j = 0; j < t; j++) values[i * t + j] = j <= i ? 0 : -1e9;
  return g.constant(values, [t, t]);
}
