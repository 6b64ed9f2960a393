import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import type { TransitionColumns } from "../../../src/core/transitions.js";
import { runFqe } from "../../../src/rl/diagnostics/fqe.js";

function columns(n: number, fill: (i: number, c: TransitionColumns) => void): TransitionColumns {
  const c: TransitionColumns = {
    size: n,
    obsDim: 1,
    actDim: 1,
    observations: new Float32Array(n),
    actions: new Float32Array(n),
    rewards: new Float32Array(n),
    nextObservations: new Float32Array(n),
    terminals: new Uint8Array(n),
    timeouts: new Uint8Array(n),
    episodes: new Uint32Array(n),
  };
  for (let i = 0; i < n; i++) fill(i, c);
  return c;
}

describe("runFqe", () => {
  it("ranks two policies by their true value on one-step episodes (Q = r)", () => {
    // Terminal one-step episodes: s, a ~ U[-1, 1], r = −(a − s)². π(s) = s is worth 0; π(s) = −s earns −4s², worth −4/3.
    const rng = new Rng(2);
    const data = columns(2000, (i, c) => {
      const s = rng.uniform(-1, 1);
      const a = rng.uniform(-1, 1);
      c.observations[i] = s;
      c.nextObservations[i] = s;
      c.actions[i] = a;
      c.rewards[i] = -((a - s) ** 2);
      c.terminals[i] = 1;
      c.episodes[i] = i;
    });
    const cfg = { hidden: [32, 32], steps: 800, lr: 2e-3, seed: 0 };
    const good = runFqe(data, (o) => Float32Array.from(o), cfg);
    const bad = runFqe(data, (o) => Float32Array.from(o, (s) => -s), cfg);
    expect(good.initial_states).toBe(2000);
    expect(good.initial_value).toBeGreaterThan(-0.15);
    expect(good.initial_value).toBeLessThan(0.1);
    expect(bad.initial_value).toBeGreaterThan(-4 / 3 - 0.25);
    expect(bad.initial_value).toBeLessThan(-4 / 3 + 0.25);
  });

  it("bootstraps through non-terminal steps: constant reward 1 with γ = 0.5 is worth 2", () => {
    const rng = new Rng(3);
    const data = columns(1000, (i, c) => {
      const s = rng.uniform(-1, 1);
      c.observations[i] = s;
      c.nextObservations[i] = rng.uniform(-1, 1);
      c.actions[i] = rng.uniform(-1, 1);
      c.rewards[i] = 1;
      c.episodes[i] = Math.floor(i / 10);
    });
    const r = runFqe(data, (o) => new Float32Array(o.length), {
      hidden: [32, 32],
      steps: 800,
      lr: 1e-3,
      discount: 0.5,
      tau: 0.05,
      seed: 0,
    });
    expect(r.initial_states).toBe(100);
    expect(r.initial_value).toBeGreaterThan(1.8);
    expect(r.initial_value).toBeLessThan(2.2);
  });
});
