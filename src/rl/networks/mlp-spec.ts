/**
 * The shape of an MLP and its flat parameter layout [W0, b0, W1, b1, ...] (W row-major [inDim, outDim]),
 * shared by both engines and the exported weights; no tensor library here.
 */
import type { Rng } from "../../core/rng.js";
import type { Activation, NetworkWeights } from "./weights-format.js";

export interface MlpSpec {
  /** Layer widths including input and output, e.g. [23, 256, 256, 1]. */
  sizes: number[];
  /** Activation of every hidden layer. */
  hidden: Activation;
  /** Activation of the last layer. */
  output: Activation;
}

export function layerActivation(spec: MlpSpec, layer: number): Activation {
  return layer === spec.sizes.length - 2 ? spec.output : spec.hidden;
}

export function mlpParamCount(spec: MlpSpec): number {
  let n = 0;
  for (let l = 0; l + 1 < spec.sizes.length; l++) n += spec.sizes[l] * spec.sizes[l + 1] + spec.sizes[l + 1];
  return n;
}

/**
 * PyTorch's nn.Linear default init (uniform ±1/sqrt(fanIn) for weights and biases), written into
 * `out` from `offset` in the flat layout [W0, b0, W1, b1, ...]. `lastLayerScale` shrinks the output layer
 * (small initial actions / values, as CORL does for actors).
 */
export function mlpInit(
  spec: MlpSpec,
  rng: Rng,
  out: Float32Array,
  offset: number,
  lastLayerScale = 1,
): void {
  let o = offset;
  const layers = spec.sizes.length - 1;
  for (let l = 0; l < layers; l++) {
    const fanIn = spec.sizes[l];
    const bound = (1 / Math.sqrt(fanIn)) * (l === layers - 1 ? lastLayerScale : 1);
    const n = fanIn * spec.sizes[l + 1] + spec.sizes[l + 1];
    for (let i = 0; i < n; i++) out[o + i] = rng.uniform(-bound, bound);
    o += n;
  }
}

/** Net `spec` read from `values` at `offset`, in the plain format read by src/policy. */
export function exportMlp(spec: MlpSpec, values: Float32Array, offset: number): NetworkWeights {
  let o = offset;
  const layers: NetworkWeights["layers"] = [];
  for (let l = 0; l + 1 < spec.sizes.length; l++) {
    const inDim = spec.sizes[l];
    const outDim = spec.sizes[l + 1];
    const weight = values.slice(o, o + inDim * outDim);
    o += inDim * outDim;
    const bias = values.slice(o, o + outDim);
    o += outDim;
    layers.push({ weight, bias, inDim, outDim, activation: layerActivation(spec, l) });
  }
  return { layers };
}

/** Fresh PyTorch-style parameters of `specs` laid out one after the other (net 0, then net 1, ...). */
export function initParams(specs: MlpSpec[], rng: Rng, lastLayerScale = 1): Float32Array {
  const init = new Float32Array(specs.reduce((n, s) => n + mlpParamCount(s), 0));
  let o = 0;
  for (const spec of specs) {
    mlpInit(spec, rng, init, o, lastLayerScale);
    o += mlpParamCount(spec);
  }
  return init;
}
