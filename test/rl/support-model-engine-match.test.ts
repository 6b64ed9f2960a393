/** The support model on the engine against the tfjs fit it replaces: same seed and batches, 100 updates. */
import { describe, expect, it } from "vitest";
import { Rng } from "../../src/core/rng.js";
import type { TransitionColumns } from "../../src/core/transitions.js";
import { selectBackend } from "../../src/rl/backend.js";
import { fitSupportModel } from "../../src/rl/support-model.js";
import { fitSupportModelTfjs } from "../../src/rl/support-model-tfjs.js";

describe("support model on the engine", () => {
  it("fits the same weights and NLL as the tfjs fit within 1e-4 over 100 updates", async () => {
    await selectBackend("wasm");
    const rng = new Rng(2);
    const n = 400;
    const obs = Float32Array.from({ length: n * 3 }, () => rng.normal(0, 2));
    // Actions depend on the state, with spread that varies: the model must learn both.
    const act = Float32Array.from({ length: n * 2 }, (_, i) =>
      Math.tanh(0.5 * obs[Math.floor(i / 2) * 3] + rng.normal(0, 0.1 + 0.2 * (i % 2))),
    );
    const cols: TransitionColumns = {
      size: n,
      obsDim: 3,
      actDim: 2,
      observations: obs,
      actions: act,
      rewards: new Float32Array(n),
      nextObservations: obs,
      terminals: new Uint8Array(n),
      timeouts: new Uint8Array(n),
      episodes: new Uint32Array(n),
    };
    const mean = new Float32Array([0.1, 0, -0.1]);
    const std = new Float32Array([2, 2, 2]);
    const options = { hidden: [32, 32], steps: 100, batchSize: 64 };
    const engine = fitSupportModel(cols, mean, std, new Rng(9), options);
    const tfjs = fitSupportModelTfjs(cols, mean, std, new Rng(9), options);
    expect(Math.abs(engine.nll - tfjs.nll)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(tfjs.nll)));
    expect(engine.weights.layers.length).toBe(tfjs.weights.layers.length);
    engine.weights.layers.forEach((layer, l) => {
      const other = tfjs.weights.layers[l];
      for (const k of ["weight", "bias"] as const) {
        let d = 0;
        for (let i = 0; i < other[k].length; i++) d = Math.max(d, Math.abs(layer[k][i] - other[k][i]));
        expect(d, `layer ${l} ${k}`).toBeLessThanOrEqual(1e-4);
      }
    });
  });
});
