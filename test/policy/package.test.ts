import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Rng } from "../../src/core/rng.js";
import {
  attachPolicyOnnx,
  loadPolicyPackage,
  resolvePackageDir,
  writePolicyPackage,
  type PackageActorWeights,
  type PolicyPackageInput,
} from "../../src/policy/package.js";
import type { ActorWeights } from "../../src/rl/networks/weights-format.js";
import { PolicyRunner, SupportRunner } from "../../src/policy/runner.js";
import { computeActionQuantiles } from "../../src/policy/support.js";
import { REPO_ROOT } from "../../src/robot/load.js";
import { exportPolicyOnnx } from "../../src/rl/policy-onnx.js";
import { randomLayers } from "./helpers.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tether-policy-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function input(seed = 3): PolicyPackageInput {
  const rng = new Rng(seed);
  const actions = Float32Array.from({ length: 200 * 2 }, () => Math.tanh(rng.normal(0, 0.5)));
  return {
    robot: "reacher2",
    obsNames: ["a", "b", "c", "d"],
    actNames: ["shoulder", "elbow"],
    actionLow: [-1, -2],
    actionHigh: [1, 2],
    actor: {
      kind: "tanh-gaussian",
      obsDim: 4,
      actDim: 2,
      network: { layers: randomLayers(rng, [4, 16, 16, 4], ["relu", "relu", "linear"]) },
      obsMean: [0.1, -0.2, 0.3, 0],
      obsStd: [1, 2, 0.5, 1.5],
    },
    support: {
      quantiles: computeActionQuantiles(actions, 2),
      conditional: {
        layers: randomLayers(rng, [4, 8, 4], ["relu", "linear"]),
        logStdMin: -5,
        logStdMax: 1,
        squashMean: true,
      },
    },
    provenance: {
      algorithm: "iql",
      dataset: "logs/reacher2-medium",
      datasetHash: "abc123",
      config: { beta: 3 },
      metrics: { "eval/normalized_score": 42 },
      seed: 0,
    },
  };
}

describe("policy package", () => {
  it("write -> load round trip gives identical actions and support outputs", () => {
    const dir = tempDir();
    const spec = input();
    writePolicyPackage(dir, spec);
    const pkg = loadPolicyPackage(dir);
    expect(pkg.manifest.provenance).toMatchObject({
      algorithm: "iql",
      dataset_hash: "abc123",
      config: { beta: 3 },
      seed: 0,
    });
    expect(pkg.manifest.provenance.code_version).toMatch(/^\d+\.\d+\.\d+/);
    expect(pkg.manifest.support.quantiles.levels).toEqual([0.005, 0.025, 0.5, 0.975, 0.995]);
    const original = new PolicyRunner({
      kind: "tanh-gaussian",
      layers: spec.actor.network.layers,
      obsMean: spec.actor.obsMean,
      obsStd: spec.actor.obsStd,
      actDim: 2,
    });
    const loaded = PolicyRunner.fromPackage(pkg);
    const support = SupportRunner.fromPackage(pkg);
    expect(support).toBeDefined();
    const rng = new Rng(9);
    const a = new Float32Array(2);
    const b = new Float32Array(2);
    const mean = new Float32Array(2);
    const std = new Float32Array(2);
    for (let k = 0; k < 50; k++) {
      const obs = Float32Array.from({ length: 4 }, () => rng.normal(0, 2));
      original.act(obs, a);
      loaded.act(obs, b);
      expect(Array.from(b)).toEqual(Array.from(a));
      support!.evaluate(obs, mean, std);
      for (let j = 0; j < 2; j++) {
        expect(Math.abs(mean[j])).toBeLessThanOrEqual(1);
        expect(std[j]).toBeGreaterThanOrEqual(Math.exp(-5) * (1 - 1e-6));
        expect(std[j]).toBeLessThanOrEqual(Math.exp(1) * (1 + 1e-6));
      }
    }
  });

  it("rejects a missing manifest with the path and a hint", () => {
    const dir = tempDir();
    expect(() => loadPolicyPackage(dir)).toThrow(/policy\.json: \(file\): policy package manifest not found/);
  });

  it("rejects corrupted weights by checksum", () => {
    const dir = tempDir();
    writePolicyPackage(dir, input());
    const file = join(dir, "weights.bin");
    const bytes = readFileSync(file);
    bytes[10] ^= 0xff;
    writeFileSync(file, bytes);
    expect(() => loadPolicyPackage(dir)).toThrow(/weights\.sha256: .*does not match its checksum/);
  });

  it("rejects a manifest field of the wrong type, naming the field", () => {
    const dir = tempDir();
    writePolicyPackage(dir, input());
    const file = join(dir, "policy.json");
    const m = JSON.parse(readFileSync(file, "utf8"));
    m.observation.std[1] = 0;
    writeFileSync(file, JSON.stringify(m));
    expect(() => loadPolicyPackage(dir)).toThrow(/policy\.json: observation\.std\.1: must be > 0/);
  });

  it("rejects a manifest whose dims disagree", () => {
    const dir = tempDir();
    writePolicyPackage(dir, input());
    const file = join(dir, "policy.json");
    const m = JSON.parse(readFileSync(file, "utf8"));
    m.action.low.push(0);
    writeFileSync(file, JSON.stringify(m));
    expect(() => loadPolicyPackage(dir)).toThrow(
      /action\.low: length disagrees with the declared dimension \(expected 2, got 3\)/,
    );
  });

  it("loads a package without policy.onnx (written before it existed)", () => {
    const dir = tempDir();
    writePolicyPackage(dir, input());
    const pkg = loadPolicyPackage(dir);
    expect(pkg.manifest.onnx).toBeUndefined();
    expect(pkg.onnxFile).toBeUndefined();
    expect(existsSync(join(dir, "policy.onnx"))).toBe(false);
  });

  it("writes policy.onnx with its exporter and records size, checksum and opset", () => {
    const dir = tempDir();
    const pkg = writePolicyPackage(dir, { ...input(), exportOnnx: exportPolicyOnnx });
    const bytes = readFileSync(join(dir, "policy.onnx"));
    expect(pkg.onnxFile).toBe(join(dir, "policy.onnx"));
    expect(pkg.manifest.onnx).toEqual({
      file: "policy.onnx",
      bytes: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      opset: 17,
    });
    expect(loadPolicyPackage(dir).manifest).toEqual(pkg.manifest);
  });

  it("attaches policy.onnx to an older package, keeping the rest of its manifest", () => {
    const dir = tempDir();
    const old = writePolicyPackage(dir, input());
    const pkg = attachPolicyOnnx(old, exportPolicyOnnx(old));
    const { onnx, ...rest } = pkg.manifest;
    expect(onnx?.file).toBe("policy.onnx");
    expect(rest).toEqual(old.manifest);
  });

  it("rejects a corrupted policy.onnx by checksum", () => {
    const dir = tempDir();
    writePolicyPackage(dir, { ...input(), exportOnnx: exportPolicyOnnx });
    const file = join(dir, "policy.onnx");
    const bytes = readFileSync(file);
    bytes[bytes.length - 3] ^= 0xff;
    writeFileSync(file, bytes);
    expect(() => loadPolicyPackage(dir)).toThrow(
      /policy\.json: onnx\.sha256: .*policy\.onnx does not match its checksum/,
    );
  });

  it("rejects a package whose manifest lists a policy.onnx that is gone", () => {
    const dir = tempDir();
    writePolicyPackage(dir, { ...input(), exportOnnx: exportPolicyOnnx });
    rmSync(join(dir, "policy.onnx"));
    expect(() => loadPolicyPackage(dir)).toThrow(
      /policy\.json: onnx\.file: .*policy\.onnx does not exist\n {2}hint: `tether export --model .*` writes it again/,
    );
    expect(loadPolicyPackage(dir, { ignoreOnnx: true }).onnxFile).toBeUndefined();
  });

  it("refuses to write a policy whose input does not match the observation names", () => {
    const spec = input();
    spec.obsNames = ["a", "b", "c"];
    expect(() => writePolicyPackage(tempDir(), spec)).toThrow(/actor\.obsDim vs obsNames: expected 3, got 4/);
  });

  it("refuses to write non-finite weights", () => {
    const spec = input();
    spec.actor.network.layers[0].weight[5] = Number.NaN;
    expect(() => writePolicyPackage(tempDir(), spec)).toThrow(/weights\[5\] is NaN/);
  });
});

describe("resolvePackageDir", () => {
  it("takes a folder holding policy.json (absolute or relative), else the name under models/", () => {
    const dir = tempDir();
    writePolicyPackage(dir, input());
    expect(resolvePackageDir(dir)).toBe(dir);
    expect(resolvePackageDir(relative(process.cwd(), dir))).toBe(dir);
    const name = `resolve-test-${process.pid}`;
    const named = join(REPO_ROOT, "models", name);
    dirs.push(named);
    writePolicyPackage(named, input());
    expect(resolvePackageDir(name)).toBe(named);
  });

  it("names the argument and the field (--model, or a node's model parameter) when neither holds a package", () => {
    const empty = tempDir();
    expect(() => resolvePackageDir(empty)).toThrow(
      `${empty}: --model: no policy package (policy.json) there or under models/`,
    );
    expect(() => resolvePackageDir("no-such-model", "model")).toThrow(
      "no-such-model: model: no policy package (policy.json) there or under models/",
    );
  });
});

describe("computeActionQuantiles", () => {
  it("interpolates between order statistics like numpy", () => {
    // dim 0: 0..10, dim 1: 10..0
    const actions = new Float32Array(22);
    for (let i = 0; i <= 10; i++) {
      actions[2 * i] = i;
      actions[2 * i + 1] = 10 - i;
    }
    const q = computeActionQuantiles(actions, 2, [0, 0.25, 0.5, 0.97, 1]);
    expect(q.values[0]).toEqual([0, 2.5, 5, 9.7, 10].map((v) => expect.closeTo(v, 10)));
    expect(q.values[1]).toEqual(q.values[0]);
  });
});

describe("trainer compatibility", () => {
  it("accepts the trainer's ActorWeights export as the package actor (type-level pin)", () => {
    const fromTrainer: ActorWeights = {
      kind: "deterministic",
      obsDim: 1,
      actDim: 1,
      network: {
        layers: [
          { inDim: 1, outDim: 1, activation: "tanh", weight: Float32Array.of(0.5), bias: Float32Array.of(0) },
        ],
      },
      obsMean: Float32Array.of(0),
      obsStd: Float32Array.of(1),
    };
    const actor: PackageActorWeights = fromTrainer;
    const pkg = writePolicyPackage(tempDir(), {
      robot: "r",
      obsNames: ["x"],
      actNames: ["u"],
      actionLow: [-2],
      actionHigh: [2],
      actor,
      support: { quantiles: computeActionQuantiles(Float32Array.of(-0.5, 0, 0.5), 1) },
      provenance: { algorithm: "bc", datasetHash: "h", config: {}, metrics: {} },
    });
    const out = new Float32Array(1);
    PolicyRunner.fromPackage(pkg).act([2], out);
    expect(out[0]).toBeCloseTo(Math.tanh(1), 6);
    expect(SupportRunner.fromPackage(pkg)).toBeUndefined();
  });
});
