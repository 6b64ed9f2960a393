/**
 * Transformer pieces as compositions of graph ops: softmax, exact GELU (with a gradient rule of its own),
 * and causal attention masks (layer normalization is layer-norm.ts, embedding lookup graph.gather).
 */
import type { Graph, Value } from "./graph.js";

/**
 * Softmax over the last axis: ONNX Softmax (one kernel, max-shifted inside so exp cannot overflow) with its
 * own gradient rule in autodiff.ts, where the composite was five ops forward and about ten backward.
 */
export function softmax(g: Graph, x: Value): Value {
  return g.node("Softmax", [x], x.shape, { axis: { int: -1 } });
}

/**
 * GELU as torch.nn.GELU computes it by default: x · Φ(x), Φ(x) = 0.5 (1 + erf(x / √2)). Its gradient
 * Φ(x) + x·φ(x) is one rule reusing the forward's Φ and x / √2: six elementwise ops backward where the
 * per-op rules took eleven (6.6 ms of a DT update at batch 64).
 */
export function gelu(g: Graph, x: Value): Value {
  const s = g.mul(x, Math.SQRT1_2);
  g.noGrad.add(s.name);
  const cdf = g.mul(g.add(g.erf(s), 1), 0.5);
  const y = g.mul(x, cdf);
  g.customGradient(y, (dy) => {
    // φ(x) = exp(-x²/2) / √(2π) = exp(ln(1/√(2π)) - s²).
    const pdf = g.exp(g.sub(-0.5 * Math.log(2 * Math.PI), g.mul(s, s)));
    return [g.mul(dy, g.add(cdf, g.mul(x, pdf))), undefined];
  });
  return y;
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
