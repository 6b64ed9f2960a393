import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Rng } from "../../src/core/rng.js";
import type { PolicyKind } from "../../src/policy/manifest.js";
import type { Activation } from "../../src/policy/network.js";
import { kindOutputDim, writePolicyPackage, type PolicyPackage } from "../../src/policy/package.js";
import { computeActionQuantiles } from "../../src/policy/support.js";
import { comparePolicyOnnx, exportPolicyOnnx, POLICY_ONNX_TOLERANCE } from "../../src/rl/policy-onnx.js";
import { createSession } from "../../src/tensor/onnx-model.js";
import { randomLayers } from "../policy/helpers.js";
import { SKIP_CHECKER, checkWithPythonOnnx } from "./policy-onnx-check.js";

const work = mkdtempSync(join(tmpdir(), "tether-policy-onnx-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Case {
  name: string;
  kind: PolicyKind;
  obsDim: number;
  actDim: number;
  hidden: number[];
  activations: Activation[];
}

/** Every actor kind a package can hold, with every activation a layer can have. */
const CASES: Case[] = [
  {
    name: "deterministic 2x256 relu, tanh out",
    kind: "deterministic",
    obsDim: 17,
    actDim: 6,
    hidden: [256, 256],
    activations: ["relu", "relu", "tanh"],
  },
  {
    name: "deterministic linear out (clipped)",
    kind: "deterministic",
    obsDim: 5,
    actDim: 2,
    hidden: [32],
    activations: ["tanh", "linear"],
  },
  {
    name: "tanh-gaussian 2x256 mean",
    kind: "tanh-gaussian",
    obsDim: 17,
    actDim: 6,
    hidden: [256, 256],
    activations: ["relu", "relu", "linear"],
  },
  {
    name: "gaussian mean (clipped)",
    kind: "gaussian",
    obsDim: 8,
    actDim: 3,
    hidden: [64, 64],
    activations: ["tanh", "relu", "linear"],
  },
  {
    name: "single linear layer",
    kind: "tanh-gaussian",
    obsDim: 3,
    actDim: 1,
    hidden: [],
    activations: ["linear"],
  },
];

function writeCase(c: Case, seed: number): PolicyPackage {
  const rng = new Rng(seed);
  const dims = [c.obsDim, ...c.hidden, kindOutputDim(c.kind, c.actDim)];
  const low = Array.from({ length: c.actDim }, () => rng.uniform(-5, -0.5));
  return writePolicyPackage(join(work, c.name.replace(/\W+/g, "-")), {
    robot: "test-robot",
    obsNames: Array.from({ length: c.obsDim }, (_, i) => `obs_${i}`),
    actNames: Array.from({ length: c.actDim }, (_, i) => `joint_${i}_effort`),
    actionLow: low,
    actionHigh: low.map((lo) => lo + rng.uniform(0.5, 10)),
    actor: {
      kind: c.kind,
      obsDim: c.obsDim,
      actDim: c.actDim,
      network: { layers: randomLayers(rng, dims, c.activations) },
      obsMean: Array.from({ length: c.obsDim }, () => rng.normal(0, 3)),
      obsStd: Array.from({ length: c.obsDim }, () => rng.uniform(0.05, 4)),
    },
    support: {
      quantiles: computeActionQuantiles(
        Float32Array.from({ length: 50 * c.actDim }, () => rng.uniform(-1, 1)),
        c.actDim,
      ),
    },
    provenance: { algorithm: "iql", datasetHash: `hash-${seed}`, config: {}, metrics: {}, seed },
    exportOnnx: exportPolicyOnnx,
  });
}

describe("policy.onnx vs PolicyRunner (ONNX Runtime CPU)", () => {
  it.each(CASES.map((c, i) => ({ ...c, seed: 100 + i })))(
    "agrees within 1e-5 on 1,000 random observations: $name",
    async (c) => {
      const pkg = writeCase(c, c.seed);
      expect(pkg.onnxFile).toBe(join(pkg.dir, "policy.onnx"));
      expect(pkg.manifest.onnx).toMatchObject({ file: "policy.onnx", opset: 17 });
      const bytes = readFileSync(pkg.onnxFile!);
      const session = await createSession(bytes);
      expect(session.inputNames).toEqual(["observation"]);
      expect(session.outputNames).toEqual(["action"]);
      await session.release();

      const cmp = await comparePolicyOnnx(pkg, bytes, { rows: 1000, seed: c.seed });
      expect(cmp.dims).toEqual([1000, c.actDim]);
      expect(cmp.max_abs_diff).toBeLessThanOrEqual(POLICY_ONNX_TOLERANCE);
      expect(POLICY_ONNX_TOLERANCE).toBe(1e-5);
      // Actions stay inside the actuator bounds.
      const { low, high } = pkg.manifest.action;
      const atBound = { low: 0, high: 0 };
      cmp.onnx.forEach((v, i) => {
        const j = i % c.actDim;
        expect(v).toBeGreaterThanOrEqual(low[j] - 1e-5);
        expect(v).toBeLessThanOrEqual(high[j] + 1e-5);
        if (Math.abs(v - low[j]) < 1e-4) atBound.low++;
        if (Math.abs(v - high[j]) < 1e-4) atBound.high++;
      });
      // A clipped linear head saturates there; a tanh one only comes close.
      if (c.kind !== "tanh-gaussian" && c.activations.at(-1) === "linear") {
        expect(atBound.low).toBeGreaterThan(0);
        expect(atBound.high).toBeGreaterThan(0);
      }
    },
  );

  it("takes any batch size, including one row", async () => {
    const pkg = writeCase(CASES[2], 7);
    const cmp = await comparePolicyOnnx(pkg, readFileSync(pkg.onnxFile!), { rows: 1 });
    expect(cmp.dims).toEqual([1, 6]);
    expect(cmp.max_abs_diff).toBeLessThanOrEqual(POLICY_ONNX_TOLERANCE);
  });

  it("the comparison catches a graph of other weights (same shapes)", async () => {
    const pkg = writeCase(CASES[0], 21);
    const other = writeCase(CASES[0], 22);
    const cmp = await comparePolicyOnnx(pkg, readFileSync(other.onnxFile!), { rows: 100 });
    expect(cmp.max_abs_diff).toBeGreaterThan(1e-2);
  });

  it("is a pure function of the package (same package, same bytes)", () => {
    const pkg = writeCase(CASES[3], 11);
    expect(Buffer.from(exportPolicyOnnx(pkg).bytes).equals(readFileSync(pkg.onnxFile!))).toBe(true);
  });
});

describe.skipIf(SKIP_CHECKER)("policy.onnx vs Debian's python3-onnx checker", () => {
  it.each(CASES.map((c, i) => ({ ...c, seed: 200 + i })))(
    "check_model(full_check=True) accepts it, with its metadata: $name",
    (c) => {
      const pkg = writeCase(c, c.seed);
      const m = checkWithPythonOnnx(pkg.onnxFile!);
      expect(m.opsets[""]).toBeGreaterThanOrEqual(17);
      expect(m.inputs).toEqual([{ name: "observation", elem_type: 1, shape: ["N", c.obsDim] }]);
      expect(m.outputs).toEqual([{ name: "action", elem_type: 1, shape: ["N", c.actDim] }]);
      expect(m.metadata).toMatchObject({
        robot: "test-robot",
        algorithm: "iql",
        dataset_hash: `hash-${c.seed}`,
        policy_kind: c.kind,
      });
      expect(JSON.parse(m.metadata.observation_names)).toEqual(pkg.manifest.observation.names);
      expect(JSON.parse(m.metadata.action_names)).toEqual(pkg.manifest.action.names);
      expect(m.ops).toContain(c.kind === "tanh-gaussian" ? "Tanh" : "Clip");
    },
  );
});
