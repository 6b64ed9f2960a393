import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TetherError } from "../../src/core/errors.js";
import type { TransitionColumns } from "../../src/core/transitions.js";
import { loadPolicyPackage } from "../../src/policy/package.js";
import { loadRobot } from "../../src/robot/load.js";
import { compileTask } from "../../src/robot/task-functions.js";
import { loadCheckpoint } from "../../src/rl/checkpoint.js";
import { runTraining } from "../../src/rl/run-training.js";
import { trainOffline, type TrainerOptions } from "../../src/rl/trainer.js";
import { syntheticColumns } from "../fixtures/synthetic-columns.js";

const robot = loadRobot("reacher2");
const task = compileTask(robot.spec);
const TINY = { hidden: [16, 16] };

/** Normal rewards, episodes of 20 steps. */
function columns(n: number, obsDim = task.obsDim, actDim = task.actDim, seed = 0): TransitionColumns {
  return syntheticColumns(
    n,
    { obsDim, actDim },
    { episodeLength: 20, reward: (_, rng) => rng.normal(), seed },
  );
}

function options(outDir: string, over: Partial<TrainerOptions> = {}): TrainerOptions {
  return {
    algo: "iql",
    config: TINY,
    steps: 6,
    batchSize: 16,
    seed: 1,
    outDir,
    evalEvery: 0,
    evalEpisodes: 1,
    checkpointEvery: 3,
    logEvery: 2,
    resume: false,
    ...over,
  };
}

const tmp = () => mkdtempSync(join(tmpdir(), "tether-train-"));

describe("trainOffline", () => {
  it("writes config.json, metrics.jsonl and a checkpoint", async () => {
    const dir = tmp();
    const r = await trainOffline(
      robot,
      { cols: columns(100), source: "synthetic", datasetHash: "h" },
      options(dir),
    );
    r.learner.dispose();
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    expect(config).toMatchObject({
      algo: "iql",
      robot: "reacher2",
      seed: 1,
      batchSize: 16,
      config: { expectile: 0.7, beta: 3, hidden: [16, 16] },
    });
    const lines = readFileSync(join(dir, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.step)).toEqual([2, 4, 6]);
    expect(Object.keys(lines[0])).toEqual(
      expect.arrayContaining(["loss/critic", "loss/actor", "loss/value"]),
    );
    expect(loadCheckpoint(dir).state.step).toBe(6);
  });

  it.each([
    ["calql", "loss/cql", { sampledActions: 2 }],
    ["rebrac", "loss/critic_bc", {}],
  ] as const)(
    "trains %s from the dataset's own columns (returns-to-go, next actions) sampled with each batch",
    async (algo, metric, extra) => {
      const dir = tmp();
      const r = await trainOffline(
        robot,
        { cols: columns(100), source: "synthetic", datasetHash: "h" },
        options(dir, { algo, config: { ...TINY, ...extra } }),
      );
      r.learner.dispose();
      const lines = readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n");
      const last = JSON.parse(lines[lines.length - 1]);
      expect(last.step).toBe(6);
      expect(Number.isFinite(last[metric])).toBe(true);
      expect(loadCheckpoint(dir).state.algo).toBe(algo);
    },
  );

  it("resumes from the checkpoint and continues the step count", async () => {
    const dir = tmp();
    const cols = columns(100);
    (
      await trainOffline(robot, { cols, source: "s", datasetHash: "h" }, options(dir, { steps: 3 }))
    ).learner.dispose();
    const r = await trainOffline(
      robot,
      { cols, source: "s", datasetHash: "h" },
      options(dir, { steps: 6, resume: true }),
    );
    expect(r.startStep).toBe(3);
    expect(r.learner.step).toBe(6);
    r.learner.dispose();
    await expect(
      trainOffline(
        robot,
        { cols, source: "s", datasetHash: "other" },
        options(dir, { steps: 9, resume: true }),
      ),
    ).rejects.toThrow(/config.json: datasetHash: --resume with a different run \(expected h, got other\)/);
  });

  it("rejects a dataset whose dimensions disagree with the robot", async () => {
    await expect(
      trainOffline(
        robot,
        { cols: columns(50, task.obsDim + 1), source: "bad-ds", datasetHash: "h" },
        options(tmp()),
      ),
    ).rejects.toThrow(
      `bad-ds: observation dimension vs robot reacher2: expected ${task.obsDim}, got ${task.obsDim + 1}`,
    );
    await expect(
      trainOffline(
        robot,
        { cols: columns(50, task.obsDim, task.actDim + 2), source: "bad-ds", datasetHash: "h" },
        options(tmp()),
      ),
    ).rejects.toThrow(/action dimension vs robot reacher2/);
  });

  it("applies the robot's training overrides under --config and names robot.yaml on a bad one", async () => {
    const withTraining = (training: Record<string, Record<string, unknown>>) => ({
      ...robot,
      spec: { ...robot.spec, training },
    });
    const cols = { cols: columns(60), source: "synthetic", datasetHash: "h" };
    const logs: string[] = [];
    const dir = tmp();
    const r = await trainOffline(
      withTraining({ iql: { beta: 0.25, expectile: 0.8 }, awac: { lambda: 7 } }),
      cols,
      options(dir, { steps: 2, config: { ...TINY, expectile: 0.6 } }),
      { onLog: (line) => logs.push(line) },
    );
    r.learner.dispose();
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    expect(config.config).toMatchObject({ beta: 0.25, expectile: 0.6 });
    expect(logs.join("\n")).toContain(`iql config from ${robot.specFile} (training.iql): beta = 0.25`);
    expect(logs.join("\n")).not.toContain("expectile = 0.8");

    await expect(trainOffline(withTraining({ iqll: {} }), cols, options(tmp()))).rejects.toThrow(
      `${robot.specFile}: training.iqll: unknown algorithm`,
    );
    await expect(trainOffline(withTraining({ awac: { lamda: 1 } }), cols, options(tmp()))).rejects.toThrow(
      `${robot.specFile}: training.awac.lamda: awac has no such config field`,
    );
  });

  it("rejects NaN in the data, naming the column and transition", async () => {
    const cols = columns(50);
    cols.rewards[17] = NaN;
    await expect(
      trainOffline(robot, { cols, source: "nan-ds", datasetHash: "h" }, options(tmp())),
    ).rejects.toThrow(/nan-ds: rewards\[17\] is NaN[\s\S]*transition 17 \(episode 0\)/);
  });

  it("stops on a diverging loss and keeps the last good checkpoint", async () => {
    const dir = tmp();
    const cols = columns(100);
    for (let i = 0; i < cols.size; i++) cols.rewards[i] = 1e18 * (i % 2 ? 1 : -1);
    let err: unknown;
    try {
      await trainOffline(
        robot,
        { cols, source: "s", datasetHash: "h" },
        options(dir, { algo: "td3bc", config: { ...TINY, lr: 10 }, steps: 400, checkpointEvery: 1 }),
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TetherError);
    const e = err as TetherError;
    expect(e.code).toBe("DIVERGED");
    expect(e.message).toMatch(/training diverged at step \d+: .*(NaN|Infinity)/);
    const lastGood = Number(e.context.lastGoodStep);
    expect(lastGood).toBeGreaterThan(0);
    expect(e.message).toContain(`last good checkpoint (step ${lastGood})`);
    const { state } = loadCheckpoint(dir);
    expect(state.step).toBe(lastGood);
    for (const a of Object.values(state.arrays)) expect(a.every(Number.isFinite)).toBe(true);
  });
});

describe("trainOffline learner threads", () => {
  it("runs every learner on one JavaScript thread; --workers 1 is the same run", async () => {
    const cols = columns(100);
    const runs = [];
    for (const workers of [undefined, 1] as const) {
      const lines: string[] = [];
      const r = await trainOffline(
        robot,
        { cols, source: "s", datasetHash: "h" },
        options(tmp(), { workers }),
        { onLog: (l) => lines.push(l) },
      );
      runs.push({ r, lines });
      r.learner.dispose();
    }
    const [auto, one] = runs;
    expect(auto.r.workers).toBe(1);
    expect(auto.lines).toContain("learner: 1 thread (the engine threads inside ONNX Runtime)");
    expect(one.r.workers).toBe(1);
    expect(one.lines).toContain("learner: 1 thread (--workers 1)");
    expect(one.r.lastMetrics).toEqual(auto.r.lastMetrics);
  });

  // Every algorithm's noise stream (AWAC/CQL policy samples, TD3+BC target smoothing) must come back exactly, or a resumed run silently differs from one that never stopped.
  it.each([
    ["iql", 1],
    ["awac", 1],
    ["td3bc", 1],
    ["cql", 1],
    ["bc", 1],
  ] as const)(
    "%s --steps 6 equals --steps 3 then --resume to 6, bit for bit, on %i worker(s)",
    async (algo, workers) => {
      const cols = columns(100);
      const data = { cols, source: "s", datasetHash: "h" };
      const over = { algo, workers, logEvery: 3, checkpointEvery: 3 };
      const lines = (dir: string) =>
        readFileSync(join(dir, "metrics.jsonl"), "utf8")
          .trim()
          .split("\n")
          .map((l) => {
            const { time: _t, "train/updates_per_s": _u, ...rest } = JSON.parse(l) as Record<string, number>;
            return rest;
          });
      const straightDir = tmp();
      const straight = await trainOffline(robot, data, options(straightDir, over));
      const splitDir = tmp();
      (await trainOffline(robot, data, options(splitDir, { ...over, steps: 3 }))).learner.dispose();
      const resumed = await trainOffline(robot, data, options(splitDir, { ...over, steps: 6, resume: true }));
      expect(resumed.lastMetrics).toEqual(straight.lastMetrics);
      const a = straight.learner.stateDict();
      const b = resumed.learner.stateDict();
      for (const [name, values] of Object.entries(a.arrays))
        expect(Array.from(b.arrays[name]), name).toEqual(Array.from(values));
      expect(b.scalars).toEqual(a.scalars);
      expect(lines(splitDir)).toEqual(lines(straightDir));
      straight.learner.dispose();
      resumed.learner.dispose();
    },
  );

  it("rejects --workers other than 1, pointing at --threads", async () => {
    const data = { cols: columns(50), source: "s", datasetHash: "h" };
    await expect(trainOffline(robot, data, options(tmp(), { workers: 2 }))).rejects.toThrow(
      "--workers must be 1, got 2 (the engine threads inside ONNX Runtime: use --threads)",
    );
  });

  it("stops a diverging IQL run with the trainer's DIVERGED error", async () => {
    const dir = tmp();
    const cols = columns(100);
    for (let i = 0; i < cols.size; i++) cols.rewards[i] = 1e30 * (i % 2 ? 1 : -1);
    const err = await trainOffline(
      robot,
      { cols, source: "s", datasetHash: "h" },
      options(dir, {
        config: { ...TINY, normalizeRewards: false },
        steps: 50,
        checkpointEvery: 1,
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TetherError);
    expect((err as TetherError).code).toBe("DIVERGED");
    expect((err as TetherError).message).toMatch(/training diverged at step \d+: .*(NaN|Infinity)/);
  });
});

describe("runTraining", () => {
  it("writes a loadable policy package with support model and provenance", async () => {
    const dir = tmp();
    const r = await runTraining({
      algo: "bc",
      dataset: "synthetic",
      robot: "reacher2",
      steps: 4,
      out: dir,
      seed: 3,
      evalEvery: 0,
      evalEpisodes: 1,
      resume: false,
      batchSize: 16,
      config: TINY,
      supportSteps: 5,
      columns: columns(80),
    });
    expect(r.steps).toBe(4);
    const pkg = loadPolicyPackage(dir);
    expect(pkg.manifest.provenance.algorithm).toBe("bc");
    expect(pkg.manifest.policy.kind).toBe("deterministic");
    expect(pkg.manifest.observation.dim).toBe(task.obsDim);
    expect(pkg.support.conditional?.layers.at(-1)?.outDim).toBe(2 * task.actDim);
    expect(existsSync(join(dir, "checkpoint.json"))).toBe(true);
    expect(pkg.onnxFile).toBe(join(dir, "policy.onnx"));
  });
});
