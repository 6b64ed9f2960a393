/** FQE on the engine against the tfjs FQE it replaces: same seed and batches, within 1e-4 over 100 updates. */
import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import type { TransitionColumns } from "../../../src/core/transitions.js";
import { selectBackend } from "../../../src/rl/backend.js";
import { runFqe } from "../../../src/rl/diagnostics/fqe.js";
import { runFqeTfjs } from "../../../src/rl/diagnostics/fqe-tfjs.js";

function dataset(n: number, obsDim: number, actDim: number, rng: Rng): TransitionColumns {
  const u = (k: number): Float32Array => Float32Array.from({ length: k }, () => rng.uniform(-1, 1));
  return {
    size: n,
    obsDim,
    actDim,
    observations: u(n * obsDim),
    actions: u(n * actDim),
    rewards: u(n),
    nextObservations: u(n * obsDim),
    terminals: Uint8Array.from({ length: n }, (_, i) => (i % 10 === 9 ? 1 : 0)),
    timeouts: new Uint8Array(n),
    episodes: Uint32Array.from({ length: n }, (_, i) => Math.floor(i / 10)),
  };
}

describe("FQE on the engine", () => {
  it("matches the tfjs FQE within 1e-4 over 100 updates (loss, initial and mean value)", async () => {
    await selectBackend("wasm");
    const data = dataset(500, 4, 2, new Rng(3));
    const policy = (o: Float32Array): Float32Array =>
      Float32Array.from({ length: (o.length / 4) * 2 }, (_, i) =>
        Math.tanh(o[Math.floor(i / 2) * 4 + (i % 2)]),
      );
    const cfg = { hidden: [32, 32], steps: 100, batchSize: 64, lr: 1e-3, tau: 0.05, seed: 5 };
    const engine = runFqe(data, policy, cfg);
    const tfjs = runFqeTfjs(data, policy, cfg);
    expect(engine.initial_states).toBe(tfjs.initial_states);
    for (const k of ["initial_value", "mean_value", "bellman_loss"] as const)
      expect(Math.abs(engine[k] - tfjs[k]), `${k}: ${engine[k]} vs ${tfjs[k]}`).toBeLessThanOrEqual(
        1e-4 * Math.max(1, Math.abs(tfjs[k])),
      );
  });
});
