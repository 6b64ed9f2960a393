/**
 * Layer normalization over the last axis as torch.nn.LayerNorm computes it (biased variance, eps inside the
 * square root), written as a composite so its gradient comes from the checked rules of its ops.
 */
import type { Graph, Value } from "./graph.js";

/** (x - mean) / sqrt(var + eps) · gamma + beta, statistics over the last axis; gamma, beta are [d]. */
export function layerNorm(g: Graph, x: Value, gamma: Value, beta: Value, eps = 1e-5): Value {
  const axis = x.shape.length - 1;
  const centered = g.sub(x, g.mean(x, [axis], true));
  const variance = g.mean(g.square(centered), [axis], true);
  return g.add(g.mul(g.div(centered, g.sqrt(g.add(variance, eps))), gamma), beta);
}
