/**
 * Multi-layer perceptron with a hand-written backward pass.
 *
 * Why by hand: on tfjs-wasm a transposed matMul (`matMul(a, b, false, true)`) takes the slow non-XNNPACK
 * path (~6-12x slower at 256x256), and tf.grad's matMul gradient is made of exactly those. Here every
 * product is `matMul(transpose(x), dz)` / `matMul(dz, transpose(w))`, which stays on XNNPACK. It also lets
 * the losses hand us dLoss/dOutput directly, so no gradient tape is recorded at all.
 *
 * Weights are [inDim, outDim] row-major (see weights-format.ts); they live in a flat ParamSet.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Activation } from "./weights-format.js";
import { layerActivation, type MlpSpec } from "./mlp-spec.js";

export interface LayerTensors {
  w: tf.Tensor2D;
  b: tf.Tensor1D;
}

/** What the backward pass needs from a forward pass: each layer's input and activated output. */
export interface MlpTape {
  inputs: tf.Tensor2D[];
  outputs: tf.Tensor2D[];
}

function activate(z: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  if (activation === "relu") return tf.relu(z);
  if (activation === "tanh") return tf.tanh(z);
  return z;
}

/** Forward pass. With a tape, records what mlpBackward needs. Call inside tf.tidy. */
export function mlpForward(
  spec: MlpSpec,
  layers: LayerTensors[],
  x: tf.Tensor2D,
  tape?: MlpTape,
): tf.Tensor2D {
  let h = x;
  for (let l = 0; l < layers.length; l++) {
    const activation = layerActivation(spec, l);
    tape?.inputs.push(h);
    const { w, b } = layers[l];
    h =
      activation === "relu"
        ? (tf.fused.matMul({ a: h, b: w, bias: b, activation: "relu" }) as tf.Tensor2D)
        : activate(tf.fused.matMul({ a: h, b: w, bias: b }) as tf.Tensor2D, activation);
    tape?.outputs.push(h);
  }
  return h;
}

export interface MlpGradients {
  /** [dW0, db0, dW1, db1, ...] in the flat layout order (empty slots with skipWeightGrads). */
  grads: tf.Tensor[];
  /** dLoss/dInput when requested. */
  dx?: tf.Tensor2D;
}

/** Backward pass from dLoss/dOutput (already averaged over the batch as the loss is). Call inside tf.tidy. */
export function mlpBackward(
  spec: MlpSpec,
  layers: LayerTensors[],
  tape: MlpTape,
  dOut: tf.Tensor2D,
  needInputGrad = false,
  skipWeightGrads = false,
): MlpGradients {
  const grads: tf.Tensor[] = new Array<tf.Tensor>(layers.length * 2);
  let dh = dOut;
  let dx: tf.Tensor2D | undefined;
  for (let l = layers.length - 1; l >= 0; l--) {
    const activation = layerActivation(spec, l);
    const out = tape.outputs[l];
    let dz: tf.Tensor2D;
    if (activation === "relu") dz = tf.mul(dh, tf.step(out)) as tf.Tensor2D;
    else if (activation === "tanh") dz = tf.mul(dh, tf.sub(1, tf.square(out))) as tf.Tensor2D;
    else dz = dh;
    if (!skipWeightGrads) {
      grads[2 * l] = weightGradient(tape.inputs[l], dz);
      // Bias gradient as ones[1,B]·dz: a reduction over axis 0 makes tfjs-wasm transpose dz first.
      grads[2 * l + 1] = tf.reshape(tf.matMul(tf.ones([1, dz.shape[0]]), dz), [dz.shape[1]]);
    }
    if (l > 0 || needInputGrad) {
      const d = tf.matMul(dz, tf.transpose(layers[l].w)) as tf.Tensor2D;
      if (l > 0) dh = d;
      else dx = d;
    }
  }
  return { grads, dx };
}

/**
 * dW = xᵀ·dz without a transposed matMul, transposing whichever side is cheaper: for narrow outputs
 * (value heads, actor heads) (dzᵀ·x)ᵀ moves far fewer floats than xᵀ; a [B,1] dz transposes by reshape.
 */
function weightGradient(x: tf.Tensor2D, dz: tf.Tensor2D): tf.Tensor2D {
  const [batch, inDim] = x.shape;
  const outDim = dz.shape[1];
  if (outDim === 1) return tf.reshape(tf.matMul(tf.reshape(dz, [1, batch]), x), [inDim, 1]);
  if (batch * outDim + inDim * outDim < batch * inDim)
    return tf.transpose(tf.matMul(tf.transpose(dz), x)) as tf.Tensor2D;
  return tf.matMul(tf.transpose(x), dz);
}
