/**
 * The Decision Transformer as a policy package: `train --algo dt` writes it, it loads back, its policy.onnx
 * (checked by ONNX's own checker) agrees with the plain-TS ring-buffer runner, and eval runs it in MuJoCo.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { Rng } from "../../src/core/rng.js";
import { dtPairShapes } from "../../src/policy/dt-layout.js";
import { DtRunner } from "../../src/policy/dt-runner.js";
import { loadPolicyPackage, type PolicyPackage } from "../../src/policy/package.js";
import { createPackageRunner, dtRunnerFromPackage } from "../../src/policy/package-runner.js";
import { PolicyRunner } from "../../src/policy/runner.js";
import { loadRobot } from "../../src/robot/load.js";
import { signalLayout } from "../../src/robot/signals.js";
import { compileTask } from "../../src/robot/task-functions.js";
import { packageController } from "../../src/nodes/policy/package-controller.js";
import {
  compareDtOnnx,
  DT_ONNX_INPUTS,
  DT_ONNX_OUTPUT,
  randomDtWindows,
} from "../../src/rl/algos/dt-onnx.js";
import { loadCheckpoint } from "../../src/rl/checkpoint.js";
import { evaluatePackage } from "../../src/rl/eval/evaluate-package.js";
import { exportPolicyOnnxFile, POLICY_ONNX_TOLERANCE } from "../../src/rl/policy-onnx.js";
import { runTraining } from "../../src/rl/run-training.js";
import { MujocoEnv } from "../../src/sim/mujoco-env.js";
import { modelMetadata } from "../../src/tensor/onnx-model.js";
import { rampColumns } from "../fixtures/synthetic-columns.js";
import { checkWithPythonOnnx, SKIP_CHECKER } from "./policy-onnx-check.js";

const robot = loadRobot("pendulum");
const task = compileTask(robot.spec);
const K = 4;
const TINY = { embedDim: 8, layers: 2, heads: 2, contextLength: K, maxEpisodeLength: 300, warmupSteps: 2 };

/** The pendulum's dimensions, episodes of 25 steps; episode e's rewards are all e / 10 (the last is the best). */
const cols = rampColumns(100, task, 25);
let dir: string;
let pkg: PolicyPackage;

/** ONNX Runtime on explicit windows (normalized actions turned into actuator units as the graph wants). */
async function runOnnx(
  file: string,
  w: {
    observations: Float32Array;
    actions: Float32Array;
    returnsToGo: Float32Array;
    timesteps: BigInt64Array;
    mask: Float32Array;
  },
  rows: number,
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file);
  try {
    const out = await session.run({
      observations: new ort.Tensor("float32", w.observations, [rows, K, task.obsDim]),
      actions: new ort.Tensor("float32", w.actions, [rows, K, task.actDim]),
      returns_to_go: new ort.Tensor("float32", w.returnsToGo, [rows, K]),
      timesteps: new ort.Tensor("int64", w.timesteps, [rows, K]),
      mask: new ort.Tensor("float32", w.mask, [rows, K]),
    });
    return out[DT_ONNX_OUTPUT].data as Float32Array;
  } finally {
    await session.release();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tether-dt-package-"));
  await runTraining({
    algo: "dt",
    dataset: "synthetic",
    robot: "pendulum",
    steps: 6,
    out: dir,
    seed: 2,
    evalEvery: 0,
    evalEpisodes: 0,
    resume: false,
    batchSize: 8,
    config: TINY,
    columns: cols,
    supportSteps: 20,
  });
  pkg = loadPolicyPackage(dir);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("DT policy package", () => {
  it("train --algo dt writes a package whose manifest and weights hold the trained transformer", () => {
    const m = pkg.manifest;
    expect(m.robot).toBe("pendulum");
    expect(m.policy.kind).toBe("decision-transformer");
    expect(m.provenance.algorithm).toBe("dt");
    expect(m.provenance.dataset_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(m.policy.transformer).toEqual({
      embed_dim: 8,
      layers: 2,
      heads: 2,
      context_length: K,
      max_episode_length: 300,
      return_scale: 0.001,
      target_return: expect.closeTo(25 * 0.3, 4) as number, // the best episode's return
    });
    expect(m.onnx?.opset).toBe(17);
    expect(pkg.support.conditional).toBeDefined();
    // The pairs are the checkpoint's parameters, in the trainer's flat layout.
    const shapes = dtPairShapes(task.obsDim, task.actDim, pkg.transformer!);
    expect(pkg.policyLayers.map((l) => [l.inDim, l.outDim])).toEqual(shapes);
    const flat = loadCheckpoint(dir).state.arrays["dt/params"];
    const stored = pkg.policyLayers.flatMap((l) => [...l.weight, ...l.bias]);
    expect(stored).toEqual(Array.from(flat));
    expect(createPackageRunner(pkg)).toBeInstanceOf(DtRunner);
    expect(() => PolicyRunner.fromPackage(pkg)).toThrow(/decision transformer runs in DtRunner/);
  });

  it("the loader names what is wrong with a damaged DT manifest", () => {
    const copy = mkdtempSync(join(tmpdir(), "tether-dt-bad-"));
    try {
      for (const f of ["policy.json", "weights.bin", "policy.onnx"])
        writeFileSync(join(copy, f), readFileSync(join(dir, f)));
      const manifest = JSON.parse(readFileSync(join(dir, "policy.json"), "utf8"));
      delete manifest.policy.transformer;
      writeFileSync(join(copy, "policy.json"), JSON.stringify(manifest));
      expect(() => loadPolicyPackage(copy)).toThrow(ConfigError);
      expect(() => loadPolicyPackage(copy)).toThrow(/policy\.transformer/);
      manifest.policy.transformer = {
        ...JSON.parse(readFileSync(join(dir, "policy.json"), "utf8")).policy.transformer,
        embed_dim: 16,
      };
      writeFileSync(join(copy, "policy.json"), JSON.stringify(manifest));
      expect(() => loadPolicyPackage(copy)).toThrow(/policy\.layers/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it.skipIf(SKIP_CHECKER)(
    "ONNX's checker accepts policy.onnx: free batch, opset 17, the package's metadata",
    () => {
      const checked = checkWithPythonOnnx(join(dir, "policy.onnx"));
      expect(checked.opsets[""]).toBe(17);
      expect(checked.inputs.map((i) => i.name)).toEqual([...DT_ONNX_INPUTS]);
      expect(checked.inputs.find((i) => i.name === "observations")?.shape).toEqual(["N", K, task.obsDim]);
      expect(checked.inputs.find((i) => i.name === "timesteps")?.elem_type).toBe(7); // int64
      expect(checked.outputs).toEqual([{ name: "action", elem_type: 1, shape: ["N", task.actDim] }]);
      const meta = modelMetadata(readFileSync(join(dir, "policy.onnx")));
      expect(meta).toMatchObject({
        robot: "pendulum",
        algorithm: "dt",
        policy_kind: "decision-transformer",
        dataset_hash: pkg.manifest.provenance.dataset_hash,
        context_length: String(K),
        action_names: JSON.stringify(task.actNames),
      });
      expect(Number(meta.target_return)).toBeCloseTo(pkg.transformer!.targetReturn, 6);
    },
  );

  it("ONNX Runtime and the plain-TS runner agree within 1e-5 on random windows, partly filled ones included", async () => {
    const cmp = await compareDtOnnx(pkg, readFileSync(join(dir, "policy.onnx")), { rows: 120, seed: 4 });
    expect(cmp.dims).toEqual([120, task.actDim]);
    expect(cmp.max_abs_diff).toBeLessThanOrEqual(1e-5);
    const w = randomDtWindows(pkg, 120, 4);
    const filled = Array.from({ length: 120 }, (_, r) =>
      w.mask.subarray(r * K, (r + 1) * K).reduce((a, b) => a + b, 0),
    );
    expect(filled.some((n) => n < K)).toBe(true);
    expect(filled.some((n) => n === 1)).toBe(true);
    // Actuator units, and not all the same action.
    expect(Math.max(...cmp.runner.map(Math.abs))).toBeLessThanOrEqual(2);
    expect(new Set(Array.from(cmp.runner, (v) => v.toFixed(4))).size).toBeGreaterThan(10);
  });

  it("batch rows are independent: a batch of windows gives each window's own action", async () => {
    const w = randomDtWindows(pkg, 5, 9);
    const batch = await runOnnx(join(dir, "policy.onnx"), w, 5);
    for (let r = 0; r < 5; r++) {
      const row = {
        observations: w.observations.slice(r * K * task.obsDim, (r + 1) * K * task.obsDim),
        actions: w.actions.slice(r * K * task.actDim, (r + 1) * K * task.actDim),
        returnsToGo: w.returnsToGo.slice(r * K, (r + 1) * K),
        timesteps: w.timesteps.slice(r * K, (r + 1) * K),
        mask: w.mask.slice(r * K, (r + 1) * K),
      };
      const one = await runOnnx(join(dir, "policy.onnx"), row, 1);
      expect(one[0]).toBeCloseTo(batch[r], 6);
    }
  });

  it("batch-1 control: the ring buffer wraps without reallocating, acts as the hand-built window and as ONNX Runtime", async () => {
    const runner = dtRunnerFromPackage(pkg);
    const ring = runner.buffers();
    const arrays = [ring.observations, ring.actions, ring.returnsToGo, ring.timesteps];
    const rng = new Rng(21);
    const steps = 2 * K + 3;
    const obs: Float32Array[] = [];
    const acts: number[][] = [];
    const rtgs: number[] = [];
    const rewards: number[] = [];
    const target = runner.targetReturn;
    const [lo, hi] = robot.spec.actuators[0].range;
    // Every tick's window as ONNX takes it, run in one batch at the end.
    const windows = {
      observations: new Float32Array(steps * K * task.obsDim),
      actions: new Float32Array(steps * K * task.actDim),
      returnsToGo: new Float32Array(steps * K),
      timesteps: new BigInt64Array(steps * K),
      mask: new Float32Array(steps * K),
    };
    const out = new Float64Array(task.actDim);
    const want = new Float64Array(task.actDim);
    const got: number[] = [];
    for (let t = 0; t < steps; t++) {
      obs.push(Float32Array.from({ length: task.obsDim }, () => rng.normal()));
      rtgs.push(t === 0 ? target : rtgs[t - 1] - rewards[t - 1]);
      expect(runner.currentReturnToGo).toBeCloseTo(rtgs[t], 9);
      runner.act(obs[t], out);
      got.push(out[0]);
      // The same context by hand: steps max(0, t-K+1)..t at the window's end, the front masked.
      const w = {
        observations: new Float64Array(K * task.obsDim),
        actions: new Float64Array(K * task.actDim),
        returnsToGo: new Float64Array(K),
        timesteps: new Float64Array(K),
        mask: new Float64Array(K),
      };
      for (let s = Math.max(0, t - K + 1); s <= t; s++) {
        const to = K - 1 - (t - s);
        w.observations.set(obs[s], to * task.obsDim);
        w.actions.set(s < t ? acts[s] : [0], to * task.actDim);
        w.returnsToGo[to] = rtgs[s];
        w.timesteps[to] = s;
        w.mask[to] = 1;
        const row = t * K + to;
        windows.observations.set(obs[s], row * task.obsDim);
        windows.actions[row] = s < t ? lo + ((acts[s][0] + 1) / 2) * (hi - lo) : 0;
        windows.returnsToGo[row] = rtgs[s];
        windows.timesteps[row] = BigInt(s);
        windows.mask[row] = 1;
      }
      runner.predictWindow(w, want);
      expect(out[0]).toBe(want[0]);
      acts.push([out[0]]);
      rewards.push(rng.uniform(0, 1));
      runner.reward(rewards[t]);
    }
    const b = runner.buffers();
    [b.observations, b.actions, b.returnsToGo, b.timesteps].forEach((a, i) => expect(a).toBe(arrays[i]));
    expect(runner.steps).toBe(steps);
    const onnx = await runOnnx(join(dir, "policy.onnx"), windows, steps);
    got.forEach((a, t) =>
      expect(Math.abs(onnx[t] - (lo + ((a + 1) / 2) * (hi - lo)))).toBeLessThanOrEqual(1e-5),
    );
    runner.reset();
    expect(runner.steps).toBe(0);
    expect(runner.currentReturnToGo).toBe(target);
  });

  it("the node's controller feeds the command sent and the robot's reward of it from the signals, and resets", () => {
    const runner = dtRunnerFromPackage(pkg, 5);
    const controller = packageController(runner, robot.spec);
    const layout = signalLayout(robot.spec);
    const signals = new Float64Array(layout.size);
    signals[layout.position] = 0.3;
    signals[layout.velocity] = -1;
    const out = new Float64Array(1);
    const obs = new Float32Array(task.obsDim);
    task.observe(signals, obs);
    controller.act(obs, signals, out);
    expect(runner.currentReturnToGo).toBe(5); // nothing happened yet
    signals[layout.action] = 1.5; // the shield sent 1.5 N·m (0.75 normalized)
    signals[layout.position] = 0.2;
    task.observe(signals, obs);
    controller.act(obs, signals, out);
    expect(runner.currentReturnToGo).toBeCloseTo(5 - task.reward(signals), 12);
    expect(runner.buffers().actions[0]).toBeCloseTo(0.75, 12);
    expect(runner.steps).toBe(2);
    controller.reset!();
    expect(runner.steps).toBe(0);
    expect(runner.currentReturnToGo).toBe(5);
  });

  it("tether export rewrites a DT package's policy.onnx after checking it against the runner", async () => {
    const r = await exportPolicyOnnxFile(loadPolicyPackage(dir, { ignoreOnnx: true }));
    expect(r.in_package).toBe(true);
    expect(r.opset).toBe(17);
    expect(r.check.max_abs_diff).toBeLessThanOrEqual(POLICY_ONNX_TOLERANCE);
    expect(loadPolicyPackage(dir).manifest.onnx?.sha256).toBe(r.sha256);
  });

  it("eval runs the package in real MuJoCo: finite returns and scores, the support gap at dataset states", async () => {
    const env = await MujocoEnv.create(robot, { seed: 0 });
    try {
      const report = await evaluatePackage(pkg, env, {
        episodes: 2,
        seed: 3,
        normalizedScore: (r) => task.normalizedScore(r),
        dataset: cols,
        bootstrapResamples: 50,
      });
      expect(report.algorithm).toBe("dt");
      expect(report.lengths).toEqual([250, 250]);
      report.returns.forEach((r) => expect(Number.isFinite(r)).toBe(true));
      expect(Number.isFinite(report.normalized_score!.mean)).toBe(true);
      expect(report.support_gap_source).toBe("dataset_states");
      expect(Number.isFinite(report.support_gap!)).toBe(true);
      // Conditioning matters: another target return, other actions, other returns.
      const other = await evaluatePackage(pkg, env, {
        episodes: 2,
        seed: 3,
        targetReturn: -500,
        bootstrapResamples: 50,
      });
      expect(other.returns).not.toEqual(report.returns);
    } finally {
      env.close();
    }
  }, 120_000);
});
