import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import { selectBackend } from "../../../src/rl/backend.js";
import { mlpBackward, mlpForward, type MlpTape } from "../../../src/rl/networks/mlp.js";
import { mlpParamCount, type MlpSpec } from "../../../src/rl/networks/mlp-spec.js";
import { ParamSet } from "../../../src/rl/networks/param-set.js";

beforeAll(async () => {
  await selectBackend("wasm");
});

/** The hand-written backward pass must equal tf.grad of the same loss (autodiff as the oracle). */
function checkAgainstAutodiff(
  spec: MlpSpec,
  batch: number,
  seed: number,
): { maxErr: number; maxRef: number } {
  const rng = new Rng(seed);
  const params = ParamSet.create("t", [spec], rng);
  const x = tf.tensor2d(
    Float32Array.from({ length: batch * spec.sizes[0] }, () => rng.normal()),
    [batch, spec.sizes[0]],
  );
  const target = tf.tensor2d(
    Float32Array.from({ length: batch * spec.sizes.at(-1)! }, () => rng.normal()),
    [batch, spec.sizes.at(-1)!],
  );
  const lossOf = (flat: tf.Tensor, input: tf.Tensor2D): tf.Scalar => {
    let h = input;
    let o = 0;
    for (let l = 0; l + 1 < spec.sizes.length; l++) {
      const [i, n] = [spec.sizes[l], spec.sizes[l + 1]];
      const w = tf.reshape(tf.slice(flat, [o], [i * n]), [i, n]);
      o += i * n;
      const b = tf.slice(flat, [o], [n]);
      o += n;
      const z = tf.add(tf.matMul(h, w), b) as tf.Tensor2D;
      const act = l === spec.sizes.length - 2 ? spec.output : spec.hidden;
      h = act === "relu" ? tf.relu(z) : act === "tanh" ? tf.tanh(z) : z;
    }
    return tf.mean(tf.square(tf.sub(h, target)));
  };
  const ref = tf.grads((flat: tf.Tensor, input: tf.Tensor) => lossOf(flat, input as tf.Tensor2D))([
    params.variable,
    x,
  ]);
  const refFlat = ref[0].dataSync();
  const refDx = ref[1].dataSync();
  const [mine, mineDx] = tf.tidy(() => {
    const layers = params.layers(0);
    const tape: MlpTape = { inputs: [], outputs: [] };
    const y = mlpForward(spec, layers, x, tape);
    const dOut = tf.mul(tf.sub(y, target), 2 / (batch * spec.sizes.at(-1)!)) as tf.Tensor2D;
    const g = mlpBackward(spec, layers, tape, dOut, true);
    return [params.flatten([g.grads]).dataSync(), g.dx!.dataSync()];
  });
  expect(mine.length).toBe(mlpParamCount(spec));
  let maxErr = 0;
  let maxRef = 0;
  for (let i = 0; i < refFlat.length; i++) {
    maxErr = Math.max(maxErr, Math.abs(mine[i] - refFlat[i]));
    maxRef = Math.max(maxRef, Math.abs(refFlat[i]));
  }
  for (let i = 0; i < refDx.length; i++) maxErr = Math.max(maxErr, Math.abs(mineDx[i] - refDx[i]));
  tf.dispose([params.variable, x, target, ...ref]);
  return { maxErr, maxRef };
}

describe("mlpBackward", () => {
  it("matches tf.grad for relu hidden + linear output (Q, V shape)", () => {
    const { maxErr, maxRef } = checkAgainstAutodiff(
      { sizes: [5, 16, 16, 1], hidden: "relu", output: "linear" },
      8,
      1,
    );
    expect(maxRef).toBeGreaterThan(1e-3);
    expect(maxErr).toBeLessThan(1e-5);
  });

  it("matches tf.grad for a tanh output with several outputs (actor shape)", () => {
    const { maxErr } = checkAgainstAutodiff({ sizes: [3, 12, 40, 4], hidden: "relu", output: "tanh" }, 64, 2);
    expect(maxErr).toBeLessThan(1e-5);
  });

  it("matches tf.grad when the batch is narrower than the layers (transpose choice flips)", () => {
    const { maxErr } = checkAgainstAutodiff({ sizes: [30, 32, 2], hidden: "tanh", output: "linear" }, 4, 3);
    expect(maxErr).toBeLessThan(1e-5);
  });
});
