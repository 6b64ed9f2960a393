/** Cal-QL's calibrated penalty by hand, and the learner against CQL on the same draws. */
import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import { create as createCalQl } from "../../../src/rl/algos/calql.js";
import { conservativePenalty, create as createCql } from "../../../src/rl/algos/cql.js";
import type { Batch } from "../../../src/rl/algos/learner.js";
import { gradients } from "../../../src/tensor/autodiff.js";
import { Graph } from "../../../src/tensor/graph.js";
import { Program } from "../../../src/tensor/program.js";

describe("Cal-QL's calibrated conservative penalty", () => {
  // k = 1, n = 2, two heads side by side: rows data, uniform, policy at s, policy at s'.
  const q = [0.5, 1.0, 0.2, -0.3, 0.1, 0.4, -0.5, 0.0, 1.2, -2.0, 0.3, -1.5, -0.7, 0.9, 2.0, -3.0];
  const logDensity = [-1, -1, -1, -1, 0.2, -0.5, 0.1, 0.3, -0.4, 0.6, 0.0, -0.2];
  // Returns-to-go 0.5 and -1 for the two states, repeated for the second head.
  const bound = [0.5, -1.0, 0.5, -1.0];

  function run(withBound: boolean): { value: number; grad: number[] } {
    const g = new Graph("calql_penalty", "float64");
    const qv = g.input("q", [4, 4]);
    const ld = g.input("log_density", [3, 4]);
    const b = g.input("bound", [1, 4]);
    const value = conservativePenalty(g, qv, ld, 1, withBound ? b : undefined);
    const [dq] = gradients(g, value, [qv]);
    const program = new Program(
      { graph: g, state: [], outputs: { value, dq } },
      {},
      { device: "cpu", threads: 1 },
    );
    const out = program.run({
      q: Float64Array.from(q),
      log_density: Float64Array.from(logDensity),
      bound: Float64Array.from(bound),
    });
    const result = { value: out.value[0], grad: Array.from(out.dq) };
    program.dispose();
    return result;
  }

  it("replaces the policy actions' Q by max(Q, return-to-go), not the uniform actions' (numpy by hand)", () => {
    // numpy: s = q[1:]; s[1:] = max(s[1:], bound); lse = logsumexp(s - log_density, 0);
    // 2·(mean(lse) - mean(q[0])) = 3.042667740803309; without the bound (CQL) 2.8009986699114107.
    expect(run(true).value).toBeCloseTo(3.042667740803309, 10);
    expect(run(false).value).toBeCloseTo(2.8009986699114107, 10);
  });

  it("passes no gradient to a policy Q the bound replaced; the others get softmax weights", () => {
    // numpy: d/dq = [-2/4 on data row; 2/4 · softmax over the sampled rows, 0 where the bound won].
    const expected = [
      -0.5, -0.5, -0.5, -0.5, 0.183582700555, 0.33728184628, 0.078289818559, 0.395082727069, 0.166112496767,
      0, 0, 0, 0, 0.112271373683, 0.350870624157, 0,
    ];
    run(true).grad.forEach((d, i) => expect(d).toBeCloseTo(expected[i], 9));
  });
});

function batch(rng: Rng, n: number, mc: number): Batch {
  const b: Batch = {
    size: n,
    observations: Float32Array.from({ length: 3 * n }, () => rng.uniform(-1, 1)),
    actions: Float32Array.from({ length: 2 * n }, () => rng.uniform(-1, 1)),
    rewards: Float32Array.from({ length: n }, () => rng.uniform(-1, 1)),
    nextObservations: Float32Array.from({ length: 3 * n }, () => rng.uniform(-1, 1)),
    terminals: new Float32Array(n),
    mcReturns: new Float32Array(n).fill(mc),
  };
  return b;
}

describe("Cal-QL learner", () => {
  const config = { hidden: [16, 16], sampledActions: 2 };
  const dims = { obsDim: 3, actDim: 2 };

  it("is CQL, draw for draw, when every return-to-go lies below every Q", () => {
    const cql = createCql(config, dims, new Rng(7));
    const calql = createCalQl(config, dims, new Rng(7));
    const data = batch(new Rng(8), 32, -1e6);
    for (let i = 0; i < 3; i++) expect(calql.update(data)).toEqual(cql.update(data));
    cql.dispose();
    calql.dispose();
  });

  it("penalizes more when the returns-to-go lie above the policy's Q (the bound lifts the logsumexp)", () => {
    const cql = createCql(config, dims, new Rng(7));
    const calql = createCalQl(config, dims, new Rng(7));
    const data = batch(new Rng(8), 32, 50);
    const [a, b] = [cql.update(data), calql.update(data)];
    // The actor step comes first and sees no penalty: same actor loss; the penalty itself differs.
    expect(b["loss/actor"]).toBe(a["loss/actor"]);
    expect(b["loss/cql"]).toBeGreaterThan(a["loss/cql"] + 10);
    cql.dispose();
    calql.dispose();
  });

  it("names the missing field when a batch has no returns-to-go", () => {
    const calql = createCalQl(config, dims, new Rng(7));
    const data = batch(new Rng(8), 4, 0);
    delete data.mcReturns;
    expect(() => calql.update(data)).toThrow(/calql needs batch\.mcReturns/);
    calql.dispose();
  });
});
