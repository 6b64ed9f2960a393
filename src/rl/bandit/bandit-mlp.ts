/**
 * A small MLP on tfjs variables with a hand-written backward pass, for the bandit demo. tfjs-core alone
 * registers no op gradients (they ship with the @tensorflow/tfjs umbrella), and every product here is
 * `matMul(transpose(x), dz)` or `matMul(dz, transpose(w))`, which stays on the fast XNNPACK path of
 * tfjs-wasm. Losses hand dLoss/dOutput to `backward`; Adam applies the gradients
 * (tf.train.adam().applyGradients). Hidden layers are ReLU; the output is linear or tanh.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "../../core/rng.js";

// dLoss/dOutput to `backward`; Adam applies the gradients (tf.train.adam().applyGradients).

export interface Mlp {
  layers: { w: tf.Variable; b: tf.Variable }[];
  output: "linear" | "tanh";
  vars: tf.Variable[];
}

export interface Tape {
  inputs: tf.Tensor2D[];
  outputs: tf.Tensor2D[];
}

let netCounter = 0;

/** PyTorch nn.Linear default init (uniform ±1/sqrt(fanIn)), from our seeded RNG. */
export function makeMlp(rng: Rng, sizes: number[], output: "linear" | "tanh"): Mlp {
  const id = `ood_bandit_${netCounter++}`;
  const layers = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const bound = 1 / Math.sqrt(sizes[l]);
    const w = Float32Array.from({ length: sizes[l] * sizes[l + 1] }, () => rng.uniform(-bound, bound));
    const b = Float32Array.from({ length: sizes[l + 1] }, () => rng.uniform(-bound, bound));
    layers.push({
      w: tf.tidy(() => tf.variable(tf.tensor2d(w, [sizes[l], sizes[l + 1]]), true, `${id}/w${l}`)),
      b: tf.tidy(() => tf.variable(tf.tensor1d(b), true, `${id}/b${l}`)),
    });
  }
  return { layers, output, vars: layers.flatMap((l) => [l.w, l.b]) };
}

export function forward(net: Mlp, x: tf.Tensor2D, tape?: Tape): tf.Tensor2D {
  let h = x;
  const last = net.layers.length - 1;
  net.layers.forEach((l, i) => {
    tape?.inputs.push(h);
    const z = tf.add(tf.matMul(h, l.w), l.b) as tf.Tensor2D;
    h = i < last ? tf.relu(z) : net.output === "tanh" ? tf.tanh(z) : z;
    tape?.outputs.push(h);
  });
  return h;
}

/** Gradients [dW0, db0, dW1, ...] (aligned with net.vars) and, if asked, dLoss/dInput. */
export function backward(
  net: Mlp,
  tape: Tape,
  dOut: tf.Tensor2D,
  needDx = false,
): { grads: tf.Tensor[]; dx?: tf.Tensor2D } {
  const grads = new Array<tf.Tensor>(net.vars.length);
  const last = net.layers.length - 1;
  let dh = dOut;
  let dx: tf.Tensor2D | undefined;
  for (let l = last; l >= 0; l--) {
    const out = tape.outputs[l];
    let dz = dh;
    if (l < last) dz = tf.mul(dh, tf.step(out));
    else if (net.output === "tanh") dz = tf.mul(dh, tf.sub(1, tf.square(out)));
    grads[2 * l] = tf.matMul(tf.transpose(tape.inputs[l]), dz);
    grads[2 * l + 1] = tf.sum(dz, 0);
    if (l > 0 || needDx) {
      const d = tf.matMul(dz, tf.transpose(net.layers[l].w)) as tf.Tensor2D;
      if (l > 0) dh = d;
      else dx = d;
    }
  }
  return { grads, dx };
}

export function applyGrads(opt: tf.Optimizer, net: Mlp, grads: tf.Tensor[]): void {
  const map: Record<string, tf.Tensor> = {};
  net.vars.forEach((v, i) => (map[v.name] = grads[i]));
  opt.applyGradients(map);
}

export function disposeMlp(net: Mlp): void {
  for (const v of net.vars) v.dispose();
}
