/**
 * Layer normalization (Ba, Kiros, Hinton 2016) over the last axis, as a composite of existing graph ops so
 * autodiff needs no new rule: (x - mean) / sqrt(var + eps) · gain + bias, with the biased variance
 * (torch.nn.LayerNorm's and flax.linen.LayerNorm's).
 */
import type { Graph, Value } from "./graph.js";

/** torch's and flax's default epsilon inside the square root. */
export const LAYER_NORM_EPS = 1e-5;

/** x of shape [..., D]; gain and bias of shape [D] (learned, initialized to 1 and 0). */
export function layerNorm(g: Graph, x: Value, gain: Value, bias: Value, eps = LAYER_NORM_EPS): Value {
  const axis = x.shape.length - 1;
  const centered = g.sub(x, g.mean(x, [axis], true));
  const variance = g.mean(g.square(centered), [axis], true);
  const normalized = g.div(centered, g.sqrt(g.add(variance, eps)));
  return g.add(g.mul(normalized, gain), bias);
}
