/**
 * Each engine learner (forward losses, derived gradients, one ONNX Runtime run per update) against the
 * tfjs learner with hand-written gradients it replaces: same seed, same initial weights, same batches, and
 * every metric and parameter within 1e-4 over 100 updates.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import * as awac from "../../../src/rl/algos/awac.js";
import * as awacTfjs from "../../../src/rl/algos/awac-tfjs.js";
import * as bc from "../../../src/rl/algos/bc.js";
import * as cql from "../../../src/rl/algos/cql.js";
import * as cqlTfjs from "../../../src/rl/algos/cql-tfjs.js";
import * as bcTfjs from "../../../src/rl/algos/bc-tfjs.js";
import * as iql from "../../../src/rl/algos/iql.js";
import * as iqlTfjs from "../../../src/rl/algos/iql-tfjs.js";
import * as td3bc from "../../../src/rl/algos/td3bc.js";
import * as td3bcTfjs from "../../../src/rl/algos/td3bc-tfjs.js";
import type { Learner, LearnerDims } from "../../../src/rl/algos/learner.js";
import type { Rng as RngType } from "../../../src/core/rng.js";
import { selectBackend } from "../../../src/rl/backend.js";
import { randomBatch } from "../../../src/rl/random-batch.js";

const OBS = 5;
const ACT = 3;
const dims = {
  obsDim: OBS,
  actDim: ACT,
  obsMean: new Float32Array([0.1, 0, -0.2, 0.3, 0]),
  obsStd: new Float32Array([1, 2, 0.5, 1, 1.5]),
  rewardScale: 3,
};
const TOL = 1e-4;

beforeAll(async () => {
  await selectBackend("wasm");
});

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function expectSameWeights(engine: Learner, tfjs: Learner, when: string): void {
  const a = engine.stateDict();
  const b = tfjs.stateDict();
  expect(Object.keys(a.arrays).sort()).toEqual(Object.keys(b.arrays).sort());
  // Step counts and noise-stream words must agree exactly; float scalars (CQL's temperature) within TOL.
  expect(Object.keys(a.scalars).sort()).toEqual(Object.keys(b.scalars).sort());
  for (const [k, v] of Object.entries(b.scalars))
    expect(Math.abs(a.scalars[k] - v), `${k} ${when}`).toBeLessThanOrEqual(TOL * Math.max(1, Math.abs(v)));
  for (const name of Object.keys(b.arrays))
    expect(maxDiff(a.arrays[name], b.arrays[name]), `${name} ${when}`).toBeLessThanOrEqual(TOL);
}

type Create = (config: Record<string, unknown>, dims: LearnerDims, rng: RngType) => Learner;
const VARIANTS: { name: string; engine: Create; tfjs: Create; extra: Record<string, unknown> }[] = [
  { name: "iql", engine: iql.create, tfjs: iqlTfjs.createTfjs, extra: {} },
  { name: "iql, gaussian actor", engine: iql.create, tfjs: iqlTfjs.createTfjs, extra: { actor: "gaussian" } },
  {
    name: "iql, gaussian actor, free log-std",
    engine: iql.create,
    tfjs: iqlTfjs.createTfjs,
    extra: { actor: "gaussian", logStd: "free" },
  },
  { name: "awac", engine: awac.create, tfjs: awacTfjs.createTfjs, extra: {} },
  {
    name: "awac, gaussian actor",
    engine: awac.create,
    tfjs: awacTfjs.createTfjs,
    extra: { actor: "gaussian" },
  },
  { name: "bc", engine: bc.create, tfjs: bcTfjs.createTfjs, extra: {} },
  { name: "td3bc", engine: td3bc.create, tfjs: td3bcTfjs.createTfjs, extra: {} },
  { name: "cql", engine: cql.create, tfjs: cqlTfjs.createTfjs, extra: { sampledActions: 3 } },
];

describe.each(VARIANTS)(
  "engine learner matches the tfjs learner: $name",
  ({ engine: createEngine, tfjs: createTfjs, extra }) => {
    it("same initial weights, then metrics and weights within 1e-4 over 100 updates", () => {
      const config = { hidden: [32, 32], ...extra };
      const engine = createEngine(config, dims, new Rng(3));
      const tfjs = createTfjs(config, dims, new Rng(3));
      expectSameWeights(engine, tfjs, "at start");
      const rng = new Rng(4);
      for (let i = 0; i < 100; i++) {
        const batch = randomBatch(rng, 64, OBS, ACT, 0.2);
        const m = engine.update(batch);
        const r = tfjs.update(batch);
        expect(Object.keys(m)).toEqual(Object.keys(r));
        for (const k of Object.keys(r)) {
          const d = Math.abs(m[k] - r[k]) / Math.max(1, Math.abs(r[k]));
          expect(d, `${k} at update ${i + 1}: engine ${m[k]}, tfjs ${r[k]}`).toBeLessThanOrEqual(TOL);
        }
        if ((i + 1) % 25 === 0) expectSameWeights(engine, tfjs, `after ${i + 1} updates`);
      }
      const probe = randomBatch(new Rng(5), 16, OBS, ACT, 0).observations;
      expect(maxDiff(engine.act(probe), tfjs.act(probe))).toBeLessThanOrEqual(TOL);
      engine.dispose();
      tfjs.dispose();
    });
  },
);
