/** Twin Q networks Q1, Q2(s, a) with a Polyak-averaged target copy (TD3, SAC, IQL, CQL). */
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "../../core/rng.js";
import { Adam, type AdamConfig } from "./adam.js";
import { mlpBackward, mlpForward, type LayerTensors, type MlpTape } from "./mlp.js";
import type { MlpSpec } from "./mlp-spec.js";
import { ParamSet } from "./param-set.js";

export interface TwinQForward {
  q1: tf.Tensor2D;
  q2: tf.Tensor2D;
  tapes: [MlpTape, MlpTape];
  layers: [LayerTensors[], LayerTensors[]];
}

export class TwinQ {
  readonly spec: MlpSpec;
  readonly params: ParamSet;
  readonly target: ParamSet;
  readonly optimizer: Adam;

  constructor(
    readonly obsDim: number,
    readonly actDim: number,
    hidden: number[],
    rng: Rng,
    adam: AdamConfig,
  ) {
    this.spec = { sizes: [obsDim + actDim, ...hidden, 1], hidden: "relu", output: "linear" };
    this.params = ParamSet.create("q", [this.spec, this.spec], rng);
    this.target = this.params.clone("q_target");
    this.optimizer = new Adam(this.params, adam);
  }

  /** Q1 and Q2 on (obs, act) with tapes for backward. Inside tf.tidy. */
  forward(obs: tf.Tensor2D, act: tf.Tensor2D): TwinQForward {
    const x = tf.concat([obs, act], 1) as tf.Tensor2D;
    const layers: [LayerTensors[], LayerTensors[]] = [this.params.layers(0), this.params.layers(1)];
    const tapes: [MlpTape, MlpTape] = [
      { inputs: [], outputs: [] },
      { inputs: [], outputs: [] },
    ];
    const q1 = mlpForward(this.spec, layers[0], x, tapes[0]);
    const q2 = mlpForward(this.spec, layers[1], x, tapes[1]);
    return { q1, q2, tapes, layers };
  }

  /** Q1 and Q2 without tapes (online networks). Inside tf.tidy. */
  evaluate(obs: tf.Tensor2D, act: tf.Tensor2D, which: ParamSet = this.params): [tf.Tensor2D, tf.Tensor2D] {
    const x = tf.concat([obs, act], 1) as tf.Tensor2D;
    return [mlpForward(this.spec, which.layers(0), x), mlpForward(this.spec, which.layers(1), x)];
  }

  /** min(Q1', Q2') of the target networks. Inside tf.tidy. */
  targetMin(obs: tf.Tensor2D, act: tf.Tensor2D): tf.Tensor2D {
    const [a, b] = this.evaluate(obs, act, this.target);
    return tf.minimum(a, b);
  }

  /**
   * Flat gradient from dLoss/dQ1 and dLoss/dQ2; with `actionGrad`, also dLoss/dAction summed over both
   * heads (for actors trained through the critic). Inside tf.tidy.
   */
  backward(
    fwd: TwinQForward,
    dq1: tf.Tensor2D,
    dq2: tf.Tensor2D | undefined,
    actionGrad = false,
  ): { grad: tf.Tensor1D; dAct?: tf.Tensor2D } {
    const g1 = mlpBackward(this.spec, fwd.layers[0], fwd.tapes[0], dq1, actionGrad);
    const perNet = [g1.grads];
    let dx = g1.dx;
    if (dq2) {
      const g2 = mlpBackward(this.spec, fwd.layers[1], fwd.tapes[1], dq2, actionGrad);
      perNet.push(g2.grads);
      if (dx && g2.dx) dx = tf.add(dx, g2.dx) as tf.Tensor2D;
    } else {
      perNet.push(this.zeroGrads());
    }
    const grad = this.params.flatten(perNet);
    const dAct =
      actionGrad && dx ? (tf.slice(dx, [0, this.obsDim], [-1, this.actDim]) as tf.Tensor2D) : undefined;
    return { grad, dAct };
  }

  /**
   * dLoss/dAction from dLoss/dQ1 (and dLoss/dQ2 when given), without computing weight gradients
   * (actors trained through the critic: TD3+BC, CQL's SAC actor). Inside tf.tidy.
   */
  actionGradient(fwd: TwinQForward, dq1: tf.Tensor2D, dq2?: tf.Tensor2D): tf.Tensor2D {
    let dx = mlpBackward(this.spec, fwd.layers[0], fwd.tapes[0], dq1, true, true).dx as tf.Tensor2D;
    if (dq2)
      dx = tf.add(
        dx,
        mlpBackward(this.spec, fwd.layers[1], fwd.tapes[1], dq2, true, true).dx as tf.Tensor2D,
      ) as tf.Tensor2D;
    return tf.slice(dx, [0, this.obsDim], [-1, this.actDim]) as tf.Tensor2D;
  }

  /** Q1 only with its tape (TD3+BC's actor objective). Inside tf.tidy. */
  forwardQ1(obs: tf.Tensor2D, act: tf.Tensor2D): TwinQForward {
    const x = tf.concat([obs, act], 1) as tf.Tensor2D;
    const layers: [LayerTensors[], LayerTensors[]] = [this.params.layers(0), []];
    const tapes: [MlpTape, MlpTape] = [
      { inputs: [], outputs: [] },
      { inputs: [], outputs: [] },
    ];
    const q1 = mlpForward(this.spec, layers[0], x, tapes[0]);
    return { q1, q2: q1, tapes, layers };
  }

  softUpdate(tau: number): void {
    this.target.softUpdate(this.params, tau);
  }

  /** Zero gradients for Q2 when only Q1 receives a loss. Inside tf.tidy. */
  private zeroGrads(): tf.Tensor[] {
    const s = this.spec.sizes;
    const out: tf.Tensor[] = [];
    for (let l = 0; l + 1 < s.length; l++) out.push(tf.zeros([s[l], s[l + 1]]), tf.zeros([s[l + 1]]));
    return out;
  }

  dispose(): void {
    this.params.dispose();
    this.target.dispose();
    this.optimizer.dispose();
  }
}
