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
 *
 * Fast on the control tick without changing a bit of the result: the weights are copied once to float64
 * (no float32 conversion per multiply), the input is copied into a float64 buffer (one monomorphic kernel
 * whatever array the caller passes), zero inputs (half of them after a ReLU) are skipped, and each pass over
 * the outputs takes eight inputs, so y[j] is loaded and stored once per eight products instead of once per
 * product. The sum is still formed in the same order as one input at a time, ((y + x0·w0) + x1·w1) + …,
 * so the output is identical to the straightforward loop (test/policy/network.test.ts).
 */
export class DenseForward {
  readonly inDim: number;
  readonly outDim: number;
  /** Per layer, row-major [inDim][outDim] weights as float64. */
  private readonly weights: Float64Array[];
  private readonly biases: Float64Array[];
  private readonly ins: Int32Array;
  private readonly outs: Int32Array;
  private readonly activations: readonly Activation[];
  private readonly input: Float64Array;
  private readonly buffers: Float64Array[];
  /** Indices of the non-zero inputs of the layer being computed. */
  private readonly nonZero: Int32Array;

  constructor(layers: readonly DenseLayerWeights[]) {
    checkLayers("network", layers);
    this.inDim = layers[0].inDim;
    this.outDim = layers[layers.length - 1].outDim;
    this.weights = layers.map((l) => Float64Array.from(l.weight));
    this.biases = layers.map((l) => Float64Array.from(l.bias));
    this.ins = Int32Array.from(layers, (l) => l.inDim);
    this.outs = Int32Array.from(layers, (l) => l.outDim);
    this.activations = layers.map((l) => l.activation);
    this.input = new Float64Array(this.inDim);
    this.buffers = layers.map((l) => new Float64Array(l.outDim));
    this.nonZero = new Int32Array(Math.max(...layers.map((l) => l.inDim)));
  }

  forward(input: ArrayLike<number>): Float64Array {
    const first = this.input;
    for (let i = 0; i < first.length; i++) first[i] = input[i];
    let x = first;
    for (let l = 0; l < this.weights.length; l++) {
      const y = this.buffers[l];
      const outDim = this.outs[l];
      const bias = this.biases[l];
      for (let j = 0; j < outDim; j++) y[j] = bias[j];
      accumulate(this.weights[l], x, this.ins[l], this.nonZero, y, outDim);
      const activation = this.activations[l];
      if (activation === "relu") {
        for (let j = 0; j < outDim; j++) if (y[j] < 0) y[j] = 0;
      } else if (activation === "tanh") {
        for (let j = 0; j < outDim; j++) y[j] = Math.tanh(y[j]);
      }
      x = y;
    }
    return x;
  }
}

/**
 * y += x · W for row-major W [inDim][outDim], skipping zero inputs; for each output the products are added
 * in input order, one at a time, exactly as `for i: for j: y[j] += x[i] * W[i][j]` does.
 */
function accumulate(
  w: Float64Array,
  x: Float64Array,
  inDim: number,
  nonZero: Int32Array,
  y: Float64Array,
  outDim: number,
): void {
  let n = 0;
  for (let i = 0; i < inDim; i++) if (x[i] !== 0) nonZero[n++] = i;
  let k = 0;
  for (; k + 8 <= n; k += 8) {
    const i0 = nonZero[k];
    const i1 = nonZero[k + 1];
    const i2 = nonZero[k + 2];
    const i3 = nonZero[k + 3];
    const i4 = nonZero[k + 4];
    const i5 = nonZero[k + 5];
    const i6 = nonZero[k + 6];
    const i7 = nonZero[k + 7];
    const x0 = x[i0];
    const x1 = x[i1];
    const x2 = x[i2];
    const x3 = x[i3];
    const x4 = x[i4];
    const x5 = x[i5];
    const x6 = x[i6];
    const x7 = x[i7];
    const r0 = i0 * outDim;
    const r1 = i1 * outDim;
    const r2 = i2 * outDim;
    const r3 = i3 * outDim;
    const r4 = i4 * outDim;
    const r5 = i5 * outDim;
    const r6 = i6 * outDim;
    const r7 = i7 * outDim;
    for (let j = 0; j < outDim; j++) {
      // Left to right: the same rounding as adding one product at a time.
      y[j] =
        y[j] +
        x0 * w[r0 + j] +
        x1 * w[r1 + j] +
        x2 * w[r2 + j] +
        x3 * w[r3 + j] +
        x4 * w[r4 + j] +
        x5 * w[r5 + j] +
        x6 * w[r6 + j] +
        x7 * w[r7 + j];
    }
  }
  for (; k < n; k++) {
    const i = nonZero[k];
    const xi = x[i];
    const r = i * outDim;
    for (let j = 0; j < outDim; j++) y[j] += xi * w[r + j];
  }
}
