/**
 * Plain weights of a dense network, as the trainer exports them and the policy package stores them.
 * Mirrors the trainer's `src/rl/networks/weights-format.ts` (src/policy may not import rl/, see design.md).
 *
 * `weight` is row-major [inDim][outDim] (y = x · W + b, as the trainer's Gemm), `bias` has outDim entries.
 */
import { ShapeMismatchError } from "../core/errors.js";

export const ACTIVATIONS = ["relu", "tanh", "linear"] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export interface DenseLayerWeights {
  weight: Float32Array;
  bias: Float32Array;
  inDim: number;
  outDim: number;
  activation: Activation;
}

/** Checks that consecutive layers chain and that every array has the length its dims promise. */
export function checkLayers(what: string, layers: readonly DenseLayerWeights[], inDim?: number): void {
  if (layers.length === 0) throw new ShapeMismatchError(`${what}: number of layers`, ">= 1", 0);
  let prev = inDim ?? layers[0].inDim;
  layers.forEach((layer, i) => {
    if (layer.inDim !== prev) throw new ShapeMismatchError(`${what}: layers[${i}].inDim`, prev, layer.inDim);
    if (layer.weight.length !== layer.inDim * layer.outDim) {
      throw new ShapeMismatchError(
        `${what}: layers[${i}].weight length`,
        layer.inDim * layer.outDim,
        layer.weight.length,
      );
    }
    if (layer.bias.length !== layer.outDim) {
      throw new ShapeMismatchError(`${what}: layers[${i}].bias length`, layer.outDim, layer.bias.length);
    }
    prev = layer.outDim;
  });
}

/**
 * Batch-1 forward pass with preallocated scratch buffers: `forward(input)` returns a view that is
 * overwritten by the next call. No allocation per call. Accumulates in float64.
 */
export class DenseForward {
  readonly inDim: number;
  readonly outDim: number;
  private readonly layers: readonly DenseLayerWeights[];
  private readonly buffers: Float64Array[];

  constructor(layers: readonly DenseLayerWeights[]) {
    checkLayers("network", layers);
    this.layers = layers;
    this.inDim = layers[0].inDim;
    this.outDim = layers[layers.length - 1].outDim;
    this.buffers = layers.map((l) => new Float64Array(l.outDim));
  }

  forward(input: ArrayLike<number>): Float64Array {
    let x: ArrayLike<number> = input;
    for (let l = 0; l < this.layers.length; l++) {
      const { weight, bias, inDim, outDim, activation } = this.layers[l];
      const y = this.buffers[l];
      for (let j = 0; j < outDim; j++) y[j] = bias[j];
      for (let i = 0; i < inDim; i++) {
        const xi = x[i];
        if (xi === 0) continue;
        const row = i * outDim;
        for (let j = 0; j < outDim; j++) y[j] += xi * weight[row + j];
      }
      if (activation === "relu") {
        for (let j = 0; j < outDim; j++) if (y[j] < 0) y[j] = 0;
      } else if (activation === "tanh") {
        for (let j = 0; j < outDim; j++) y[j] = Math.tanh(y[j]);
      }
      x = y;
    }
    return this.buffers[this.buffers.length - 1];
  }
}
