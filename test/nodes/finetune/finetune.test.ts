import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../../src/core/env.js";
import type { DiagnosticArray } from "../../../src/msgs/types.js";
import { finetuneNode, FINETUNE_DIAGNOSTIC } from "../../../src/nodes/finetune/finetune-node.js";
import {
  claimVersionDir,
  restoreLearner,
  runFinetuneJob,
  type FinetuneJobResult,
} from "../../../src/nodes/finetune/finetune-job.js";
import { loadPolicyPackage } from "../../../src/policy/package.js";
import { createEmbeddedContext } from "../../../src/ros/embedded/context.js";
import { loadRobot } from "../../../src/robot/load.js";
import type { Learner } from "../../../src/rl/algos/learner.js";
import { hardLimitsFromSpec } from "../../../src/safety/clamps/hard-limits.js";
import { compileTask } from "../../../src/robot/task-functions.js";
import { MujocoEnv } from "../../../src/sim/mujoco-env.js";
import { tinyPackage } from "../../fixtures/tiny-package.js";

const root = mkdtempSync(join(tmpdir(), "tether-finetune-"));
let datasetDir: string;
let modelDir: string;
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  ({ datasetDir, modelDir } = await tinyPackage(root, { robot: "reacher2" }));
}, 120_000);

/** Wraps an env and records every action it is asked to execute. */
function recording(
  env: Env & { signals(): Float64Array },
  sink: number[][],
): Env & { signals(): Float64Array } {
  return {
    obsDim: env.obsDim,
    actDim: env.actDim,
    signals: () => env.signals(),
    reset: (seed) => env.reset(seed),
    step: (a) => {
      sink.push(Array.from(a));
      return env.step(a);
    },
    close: () => env.close(),
  };
}

/** Every other action the learner proposes is NaN, +Inf or 1e9: the shield must catch all of them. */
function faulty(learner: Learner): Learner {
  let calls = 0;
  const wild = [NaN, Infinity, 1e9];
  return new Proxy(learner, {
    get(target, prop, receiver) {
      if (prop === "act")
        return (obs: Float32Array) => {
          const a = target.act(obs);
          if (calls++ % 2 === 0) a.fill(wild[calls % wild.length]);
          return a;
        };
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === "function" ? (v as (...args: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe("fine-tune job (real Shield, MujocoEnv)", () => {
  let result: FinetuneJobResult;
  const sent: number[][] = [];

  it("keeps every faulty action out of the env, evaluates and writes loadable versions", async () => {
    const robot = loadRobot("reacher2");
    const env = recording(await MujocoEnv.create(robot, { seed: 0 }), sent);
    const evalEnv = recording(await MujocoEnv.create(robot, { seed: 1 }), sent);
    try {
      result = await runFinetuneJob({
        model: modelDir,
        robot: "reacher2",
        dataset: datasetDir,
        envSteps: 200,
        ratio: 0.5,
        updatesPerStep: 0.1,
        evalEvery: 100,
        evalEpisodes: 2,
        batchSize: 32,
        seed: 0,
        explorationStd: 0.1,
        out: join(root, "run"),
        env,
        evalEnv,
        wrapLearner: faulty,
        saveVersions: "every-eval",
      });
    } finally {
      env.close();
      evalEnv.close();
    }
    // Nothing unsafe reached the env.
    const limits = hardLimitsFromSpec(robot.spec);
    expect(sent.length).toBe(result.actions_sent);
    for (const a of sent) {
      a.forEach((v, i) => {
        expect(Number.isFinite(v)).toBe(true);
        expect(v).toBeGreaterThanOrEqual(limits.loNorm[i] - 1e-6);
        expect(v).toBeLessThanOrEqual(limits.hiNorm[i] + 1e-6);
      });
    }
    expect(result.violations).toBe(0);
    expect(result.shield_counts.nonFinite).toBeGreaterThan(0);
    expect(result.shield_counts.ticks).toBe(sent.length);
    expect(result.updates).toBe(20);

    // Curve at 0, 100, 200 with CIs around the mean; JSONL and SVG on disk.
    expect(result.curve.map((p) => p.env_step)).toEqual([0, 100, 200]);
    for (const p of result.curve) {
      expect(p.ci_low).toBeLessThanOrEqual(p.score + 1e-9);
      expect(p.ci_high).toBeGreaterThanOrEqual(p.score - 1e-9);
    }
    const lines = readFileSync(result.curve_file, "utf8").trim().split("\n");
    expect(lines.map((l) => (JSON.parse(l) as { env_step: number }).env_step)).toEqual([0, 100, 200]);
    expect(readFileSync(result.plot_file!, "utf8")).toMatch(/^<svg/);
    expect(existsSync(join(root, "run", "result.json"))).toBe(true);

    // Versions v1, v2 under models/<name>/versions: full packages that load, and checkpoints that restore.
    expect(result.versions.map((v) => v.version)).toEqual(["v1", "v2"]);
    for (const v of result.versions) {
      expect(v.dir).toBe(join(modelDir, "versions", v.version));
      const pkg = loadPolicyPackage(v.dir);
      expect(pkg.manifest.robot).toBe("reacher2");
      expect(pkg.onnxFile).toBe(join(v.dir, "policy.onnx"));
      expect(pkg.manifest.provenance.metrics["eval/normalized_score"]).toBeCloseTo(v.score, 6);
      const { learner } = restoreLearner(v.dir, pkg, 0);
      expect(learner.step).toBe(10 + v.env_step / 10); // 10 offline updates, then 0.1 per env step
      learner.dispose();
    }
  }, 120_000);
});

describe("restoreLearner", () => {
  it.each(["dt"])("refuses a %s model before any env step, naming config.json's algo", (algo) => {
    const dir = join(root, `models-${algo}`);
    // The trained IQL model, its config.json saying another algorithm.
    cpSync(modelDir, dir, { recursive: true });
    const config = JSON.parse(readFileSync(join(modelDir, "config.json"), "utf8")) as object;
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, algo }));
    expect(() => restoreLearner(dir, loadPolicyPackage(modelDir), 0)).toThrow(
      new RegExp(`config\\.json: algo: ${algo} cannot be fine-tuned: model ${dir} has no critic`),
    );
  });
});

/** From its `after`-th step on, the env reports signal `name` as `value` (a sensor fault or a runaway joint). */
function faultAfter(
  env: MujocoEnv,
  after: number,
  name: string,
  value: number,
): Env & { signals(): Float64Array; steps: number } {
  const index = compileTask(env.robot.spec).layout.index.get(name);
  if (index === undefined) throw new Error(`no signal ${name}`);
  const w = {
    obsDim: env.obsDim,
    actDim: env.actDim,
    steps: 0,
    signals: () => env.signals(),
    reset: (seed?: number) => env.reset(seed),
    step: (a: ArrayLike<number>) => {
      const r = env.step(a);
      if (++w.steps >= after) r.info.signals[index] = value;
      return r;
    },
    close: () => env.close(),
  };
  return w;
}

describe("fine-tune job behind the safety monitors", () => {
  it("ends the run cleanly on an e-stop, sends nothing after it and reports the monitor", async () => {
    const robot = loadRobot("reacher2");
    const sent: number[][] = [];
    // The elbow reports 25 rad/s (its limit is 20) from the 30th training step on: joint_limits is fatal.
    const faulted = faultAfter(await MujocoEnv.create(robot, { seed: 0 }), 30, "velocity.elbow_joint", 25);
    const env = recording(faulted, sent);
    const evalEnv = await MujocoEnv.create(robot, { seed: 1 });
    let result: FinetuneJobResult;
    try {
      result = await runFinetuneJob({
        model: modelDir,
        robot: "reacher2",
        dataset: datasetDir,
        envSteps: 200,
        ratio: 0.5,
        updatesPerStep: 0.1,
        evalEvery: 100,
        evalEpisodes: 1,
        batchSize: 16,
        seed: 0,
        explorationStd: 0.1,
        out: join(root, "estop-run"),
        env,
        evalEnv,
        saveVersions: "every-eval",
      });
    } finally {
      env.close();
      evalEnv.close();
    }
    expect(result.estop).not.toBeNull();
    expect(result.estop!.monitor).toBe("joint_limits");
    expect(result.safety_events["joint_limits:fatal"]).toBeGreaterThanOrEqual(1);
    // The state of step 30 is filtered at step 31: that tick commands zero effort, and the run ends there.
    expect(result.env_steps).toBe(31);
    expect(faulted.steps).toBe(31);
    expect(sent.length).toBe(31);
    expect(sent.at(-1)!.every((v) => v === 0)).toBe(true);
    expect(result.control_sources.estop).toBe(1);
    // No evaluation after the e-stop and no version saved from it; step 0 is the offline policy.
    expect(result.curve.map((p) => p.env_step)).toEqual([0]);
    expect(result.versions).toEqual([]);
    expect(result.updates).toBe(3);
    expect(result.violations).toBe(0);
    expect(JSON.parse(readFileSync(join(root, "estop-run", "result.json"), "utf8"))).toMatchObject({
      estop: { monitor: "joint_limits", env_step: 31 },
    });
  }, 120_000);

  it("hands error ticks to the package's BC fallback instead of holding the last command", async () => {
    const robot = loadRobot("reacher2");
    // 19.5 rad/s is inside the elbow's 20 rad/s limit (a joint_limits warning) and far outside the dataset's
    // velocities: a state_support error, not an e-stop.
    const env = faultAfter(await MujocoEnv.create(robot, { seed: 0 }), 10, "velocity.elbow_joint", 19.5);
    const evalEnv = await MujocoEnv.create(robot, { seed: 1 });
    let result: FinetuneJobResult;
    try {
      result = await runFinetuneJob({
        model: modelDir,
        robot: "reacher2",
        dataset: datasetDir,
        envSteps: 20,
        ratio: 0.5,
        updatesPerStep: 0,
        evalEvery: 0,
        evalEpisodes: 1,
        batchSize: 16,
        seed: 0,
        explorationStd: 0,
        out: join(root, "fallback-run"),
        env,
        evalEnv,
        plot: false,
      });
    } finally {
      env.close();
      evalEnv.close();
    }
    expect(result.estop).toBeNull();
    expect(result.env_steps).toBe(20);
    expect(result.safety_events, JSON.stringify(result.safety_events)).toHaveProperty("state_support:error");
    expect(result.safety_events["joint_limits:warn"]).toBeGreaterThanOrEqual(1);
    // Steps 11..20 act on the faulted state (the evaluations may add genuine errors near the elbow stop).
    expect(result.control_sources.fallback).toBeGreaterThanOrEqual(10);
    expect(result.control_sources.hold ?? 0).toBe(0);
  }, 120_000);

  it("needs the signal vector for the monitors, and runs shield-only without them when asked", async () => {
    const robot = loadRobot("reacher2");
    const inner = await MujocoEnv.create(robot, { seed: 0 });
    const sent: number[][] = [];
    const bare: Env = {
      obsDim: inner.obsDim,
      actDim: inner.actDim,
      reset: (seed) => inner.reset(seed),
      step: (a) => {
        sent.push(Array.from(a));
        return inner.step(a);
      },
      close: () => inner.close(),
    };
    const job = (monitors: boolean) =>
      runFinetuneJob({
        model: modelDir,
        robot: "reacher2",
        dataset: datasetDir,
        envSteps: 10,
        ratio: 0.5,
        updatesPerStep: 0,
        evalEvery: 0,
        evalEpisodes: 1,
        batchSize: 16,
        seed: 0,
        explorationStd: 0,
        out: join(root, `bare-run-${monitors}`),
        env: bare,
        evalEnv: bare,
        plot: false,
        monitors,
      });
    try {
      await expect(job(true)).rejects.toThrow(/signals\(\)/);
      const r = await job(false);
      expect(r.env_steps).toBe(10);
      expect(r.safety_events).toEqual({});
      expect(r.estop).toBeNull();
      expect(r.shield_counts.ticks).toBe(sent.length);
      const limits = hardLimitsFromSpec(robot.spec);
      for (const a of sent)
        a.forEach((v, i) => {
          expect(v).toBeGreaterThanOrEqual(limits.loNorm[i] - 1e-6);
          expect(v).toBeLessThanOrEqual(limits.hiNorm[i] + 1e-6);
        });
    } finally {
      inner.close();
    }
  }, 120_000);
});

describe("finetune node", () => {
  it("runs from parameters and reports evaluations and the result on /diagnostics", async () => {
    const ctx = createEmbeddedContext({ logSink: () => undefined });
    const listener = ctx.createNode("listener");
    const statuses: { name: string; message: string }[] = [];
    listener.createSubscription(
      "diagnostic_msgs/msg/DiagnosticArray",
      "/diagnostics",
      {},
      (m: DiagnosticArray) => statuses.push(...m.status.map((s) => ({ name: s.name, message: s.message }))),
    );
    const node = ctx.createNode("finetune", {
      parameters: {
        model: modelDir,
        robot: "reacher2",
        dataset: datasetDir,
        env_steps: 60,
        eval_every: 0,
        eval_episodes: 2,
        batch_size: 16,
        updates_per_step: 0.1,
        out: join(root, "node-run"),
      },
    });
    const handle = (await finetuneNode(node, [])) as {
      result: Promise<FinetuneJobResult | undefined>;
      close(): Promise<void>;
    };
    const result = await handle.result;
    ctx.spinSome();
    await handle.close();
    ctx.shutdown();
    expect(result).toBeDefined();
    expect(result!.env_steps).toBe(60);
    expect(result!.violations).toBe(0);
    const mine = statuses.filter((s) => s.name === FINETUNE_DIAGNOSTIC);
    expect(mine.length).toBe(3); // evaluations at 0 and 60, then the result
    expect(mine.at(-1)!.message).toMatch(/^done: gain .*, 0 violations$/);
  }, 120_000);

  it("names the missing parameter", async () => {
    const ctx = createEmbeddedContext({ logSink: () => undefined });
    const node = ctx.createNode("finetune", { parameters: { robot: "reacher2" } });
    await expect(finetuneNode(node, [])).rejects.toThrow(/model/);
    ctx.shutdown();
  });
});

describe("claimVersionDir", () => {
  it("takes the next number after the highest existing version and never reuses one", () => {
    const model = join(root, "claim");
    mkdirSync(join(model, "versions", "v3"), { recursive: true });
    mkdirSync(join(model, "versions", "notes"));
    expect(claimVersionDir(model).version).toBe("v4");
    expect(claimVersionDir(model).version).toBe("v5");
    expect(existsSync(join(model, "versions", "v5"))).toBe(true);
  });
});
