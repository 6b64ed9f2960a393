/** State value V(s) (IQL's expectile value network). */
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "../../core/rng.js";
import { Adam, type AdamConfig } from "./adam.js";
import { mlpBackward, mlpForward, type LayerTensors, type MlpTape } from "./mlp.js";
import type { MlpSpec } from "./mlp-spec.js";
import { ParamSet } from "./param-set.js";

export class ValueNet {
  readonly spec: MlpSpec;
  readonly params: ParamSet;
  readonly optimizer: Adam;

  constructor(obsDim: number, hidden: number[], rng: Rng, adam: AdamConfig) {
    this.spec = { sizes: [obsDim, ...hidden, 1], hidden: "relu", output: "linear" };
    this.params = ParamSet.create("v", [this.spec], rng);
    this.optimizer = new Adam(this.params, adam);
  }

  /** V(obs) with its tape. Inside tf.tidy. */
  forward(obs: tf.Tensor2D): { v: tf.Tensor2D; tape: MlpTape; layers: LayerTensors[] } {
    const layers = this.params.layers(0);
    const tape: MlpTape = { inputs: [], outputs: [] };
    return { v: mlpForward(this.spec, layers, obs, tape), tape, layers };
  }

  evaluate(obs: tf.Tensor2D): tf.Tensor2D {
    return mlpForward(this.spec, this.params.layers(0), obs);
  }

  backward(fwd: { tape: MlpTape; layers: LayerTensors[] }, dv: tf.Tensor2D): tf.Tensor1D {
    return this.params.flatten([mlpBackward(this.spec, fwd.layers, fwd.tape, dv).grads]);
  }

  dispose(): void {
    this.params.dispose();
    this.optimizer.dispose();
  }
}
