import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import { selectBackend } from "../../../src/rl/backend.js";
import { backward, disposeMlp, forward, makeMlp, type Tape } from "../../../src/rl/bandit/bandit-mlp.js";

describe("bandit MLP backward pass", () => {
  it.each(["linear", "tanh"] as const)("matches finite differences (%s output)", async (output) => {
    await selectBackend("cpu");
    const net = makeMlp(new Rng(5), [2, 5, 4, 1], output);
    const x = tf.tensor2d([0.3, -0.7, 0.9, 0.1, -0.4, 0.5], [3, 2]);
    const c = tf.tensor2d([0.5, -1, 2], [3, 1]);
    // L = sum(c ⊙ f(x)), so dL/dOut = c.
    const loss = (): number => tf.tidy(() => tf.sum(tf.mul(c, forward(net, x))).dataSync()[0]);
    const tape: Tape = { inputs: [], outputs: [] };
    const { grads, dx } = tf.tidy(() => {
      const r = backward(net, (forward(net, x, tape), tape), c, true);
      return { grads: r.grads.map((g) => tf.keep(g)), dx: tf.keep(r.dx!) };
    });
    // Small enough that no perturbation crosses a ReLU kink for these inputs; float32 noise stays ~1e-4.
    const eps = 1e-3;
    const failures: string[] = [];
    net.vars.forEach((v, k) => {
      const values = v.dataSync().slice() as Float32Array;
      const analytic = grads[k].dataSync();
      for (let i = 0; i < values.length; i++) {
        const bumped = values.slice();
        bumped[i] += eps;
        v.assign(tf.tensor(bumped, v.shape));
        const up = loss();
        bumped[i] -= 2 * eps;
        v.assign(tf.tensor(bumped, v.shape));
        const down = loss();
        v.assign(tf.tensor(values, v.shape));
        const numeric = (up - down) / (2 * eps);
        if (Math.abs(numeric - analytic[i]) > 2e-3 + 2e-2 * Math.abs(numeric))
          failures.push(`${v.name}[${i}]: ${analytic[i]} vs ${numeric}`);
      }
    });
    expect(failures).toEqual([]);
    expect(dx.shape).toEqual([3, 2]);
    grads.forEach((g) => g.dispose());
    dx.dispose();
    x.dispose();
    c.dispose();
    disposeMlp(net);
  });
});
