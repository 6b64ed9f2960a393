/**
 * The parameters of one or more MLPs in a single flat tf.Variable, so an optimizer step, a Polyak update
 * or a checkpoint is a handful of ops on one vector instead of a dozen per layer.
 * Layout: net 0 [W0, b0, W1, b1, ...], then net 1, ...
 */
import * as tf from "@tensorflow/tfjs-core";
import { ShapeMismatchError } from "../../core/errors.js";
import type { Rng } from "../../core/rng.js";
import type { LayerTensors } from "./mlp.js";
import { exportMlp, initParams, mlpParamCount, type MlpSpec } from "./mlp-spec.js";
import type { NetworkWeights } from "./weights-format.js";

export class ParamSet {
  readonly size: number;
  readonly offsets: number[];
  readonly variable: tf.Variable<tf.Rank.R1>;

  constructor(
    readonly name: string,
    readonly specs: MlpSpec[],
    init: Float32Array,
  ) {
    this.offsets = [];
    let n = 0;
    for (const spec of specs) {
      this.offsets.push(n);
      n += mlpParamCount(spec);
    }
    this.size = n;
    if (init.length !== n) throw new ShapeMismatchError(`${name} parameters`, n, init.length);
    this.variable = tf.tidy(() => tf.variable(tf.tensor1d(init), true)) as tf.Variable<tf.Rank.R1>;
  }

  /** Fresh PyTorch-style initialization of every net. */
  static create(name: string, specs: MlpSpec[], rng: Rng, lastLayerScale = 1): ParamSet {
    return new ParamSet(name, specs, initParams(specs, rng, lastLayerScale));
  }

  /** A copy with the same values (target networks). */
  clone(name: string): ParamSet {
    return new ParamSet(name, this.specs, this.read());
  }

  /** Per-layer weight views of net `i` (slices of the flat vector). Call inside tf.tidy. */
  layers(i: number): LayerTensors[] {
    const spec = this.specs[i];
    const out: LayerTensors[] = [];
    let o = this.offsets[i];
    for (let l = 0; l + 1 < spec.sizes.length; l++) {
      const inDim = spec.sizes[l];
      const outDim = spec.sizes[l + 1];
      const w = tf.reshape(tf.slice(this.variable, [o], [inDim * outDim]), [inDim, outDim]) as tf.Tensor2D;
      o += inDim * outDim;
      const b = tf.slice(this.variable, [o], [outDim]) as tf.Tensor1D;
      o += outDim;
      out.push({ w, b });
    }
    return out;
  }

  /** Concatenates per-net gradient lists (each [dW0, db0, ...]) into one flat gradient. Inside tf.tidy. */
  flatten(perNet: tf.Tensor[][]): tf.Tensor1D {
    const parts: tf.Tensor[] = [];
    for (const grads of perNet) for (const g of grads) parts.push(tf.reshape(g, [-1]));
    return tf.concat(parts) as tf.Tensor1D;
  }

  read(): Float32Array {
    return this.variable.dataSync() as Float32Array;
  }

  write(values: Float32Array): void {
    if (values.length !== this.size)
      throw new ShapeMismatchError(`${this.name} parameters`, this.size, values.length);
    tf.tidy(() => this.variable.assign(tf.tensor1d(values)));
  }

  /** Polyak averaging: this <- this + tau * (source - this). */
  softUpdate(source: ParamSet, tau: number): void {
    tf.tidy(() =>
      this.variable.assign(tf.add(this.variable, tf.mul(tf.sub(source.variable, this.variable), tau))),
    );
  }

  /** Net `i` in the plain format read by src/policy. */
  exportNetwork(i: number, values: Float32Array = this.read()): NetworkWeights {
    return exportMlp(this.specs[i], values, this.offsets[i]);
  }

  dispose(): void {
    this.variable.dispose();
  }
}
