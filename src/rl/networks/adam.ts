/**
 * Adam (Kingma & Ba 2015) over one flat ParamSet: the whole step is ~10 element-wise ops on one vector,
 * whatever the number of layers. Matches torch.optim.Adam (bias-corrected, eps outside the sqrt).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ParamSet } from "./param-set.js";

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export const ADAM_DEFAULTS: AdamConfig = { lr: 3e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

export class Adam {
  readonly m: tf.Variable<tf.Rank.R1>;
  readonly v: tf.Variable<tf.Rank.R1>;
  step = 0;

  constructor(
    readonly params: ParamSet,
    readonly config: AdamConfig = ADAM_DEFAULTS,
  ) {
    this.m = tf.tidy(() => tf.variable(tf.zeros([params.size]), false)) as tf.Variable<tf.Rank.R1>;
    this.v = tf.tidy(() => tf.variable(tf.zeros([params.size]), false)) as tf.Variable<tf.Rank.R1>;
  }

  /** Applies one step with the flat gradient `grad` (not disposed here: it belongs to the caller's tidy). */
  apply(grad: tf.Tensor1D, lr = this.config.lr): void {
    this.step += 1;
    const { beta1, beta2, eps } = this.config;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    const stepSize = (lr * Math.sqrt(c2)) / c1;
    tf.tidy(() => {
      const m = tf.add(tf.mul(this.m, beta1), tf.mul(grad, 1 - beta1));
      const v = tf.add(tf.mul(this.v, beta2), tf.mul(tf.square(grad), 1 - beta2));
      // torch: p -= lr/c1 * m / (sqrt(v)/sqrt(c2) + eps) == stepSize * m / (sqrt(v) + eps*sqrt(c2))
      const update = tf.div(tf.mul(m, stepSize), tf.add(tf.sqrt(v), eps * Math.sqrt(c2)));
      this.m.assign(m as tf.Tensor1D);
      this.v.assign(v as tf.Tensor1D);
      this.params.variable.assign(tf.sub(this.params.variable, update));
    });
  }

  state(): { step: number; m: Float32Array; v: Float32Array } {
    return { step: this.step, m: this.m.dataSync() as Float32Array, v: this.v.dataSync() as Float32Array };
  }

  load(state: { step: number; m: Float32Array; v: Float32Array }): void {
    this.step = state.step;
    tf.tidy(() => {
      this.m.assign(tf.tensor1d(state.m));
      this.v.assign(tf.tensor1d(state.v));
    });
  }

  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}
