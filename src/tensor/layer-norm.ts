/**
 * Layer normalization (Ba, Kiros, Hinton 2016) over the last axis, as a composite of existing graph ops so
 * autodiff needs no new rule: (x - mean) / sqrt(var + eps) · gain + bias, with the biased variance
 * (torch.nn.LayerNorm's and flax.linen.LayerNorm's).
 */
import type { Graph, Value } from "./graph.js";

/** torch's and flax's default epsilon inside the square root. */
export const LAYER_NORM_EPS = 1e-5;

/**
 * x of shape [..., D]; gain and bias of D elements (learned, initialized to 1 and 0). Float32 graphs use
 * ONNX's LayerNormalization (one kernel, its own gradient rule); float64 graphs (gradient checks), which
 * ONNX Runtime has no kernel for, the composite.
 */
export function layerNorm(g: Graph, x: Value, gain: Value, bias: Value, eps = LAYER_NORM_EPS): Value {
  const d = x.shape[x.shape.length - 1];
  const flat = (v: Value) => (v.shape.length === 1 ? v : g.reshape(v, [d]));
  if (g.dtype === "float32") return g.layerNormalization(x, flat(gain), flat(bias), eps);
  return layerNormComposite(g, x, gain, bias, eps);
}

/** The same normalization as elementwise graph ops (any float type; autodiff needs no rule of its own). */
export function layerNormComposite(
  g: Graph,
  x: Value,
  gain: Value,
  bias: Value,
  eps = LAYER_NORM_EPS,
): Value {
  const axis = x.shape.length - 1;
  const centered = g.sub(x, g.mean(x, [axis], true));
  const variance = g.mean(g.square(centered), [axis], true);
  const normalized = g.div(centered, g.sqrt(g.add(variance, eps)));
  return g.add(g.mul(normalized, gain), bias);
}
