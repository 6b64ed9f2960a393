/** `tether train --algo dt` end to end: segment batches, the target return, and evaluation in MujocoEnv. */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as ort from "onnxruntime-node";
import { DT_ONNX_INPUTS } from "../../src/rl/algos/dt-onnx.js";
import { loadPolicyPackage } from "../../src/policy/package.js";
import { loadRobot } from "../../src/robot/load.js";
import { compileTask } from "../../src/robot/task-functions.js";
import { runTraining } from "../../src/rl/run-training.js";
import { rampColumns } from "../fixtures/synthetic-columns.js";

const task = compileTask(loadRobot("reacher2").spec);
const TINY = { embedDim: 8, layers: 1, contextLength: 4, maxEpisodeLength: 300, warmupSteps: 2 };

const run = (out: string, targetReturn?: number, onLog?: (line: string) => void) =>
  runTraining(
    {
      algo: "dt",
      dataset: "synthetic",
      robot: "reacher2",
      steps: 4,
      out,
      seed: 3,
      evalEvery: 4,
      evalEpisodes: 1,
      resume: false,
      batchSize: 8,
      config: TINY,
      columns: rampColumns(80, task, 20), // episode 3 is the best (return 6)
      targetReturn,
    },
    { onLog },
  );

describe("train --algo dt", () => {
  it("trains on segments, conditions evaluation on the dataset's best return, checkpoints", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tether-dt-"));
    const logs: string[] = [];
    const r = await run(dir, undefined, (line) => logs.push(line));
    expect(r.targetReturn).toBeCloseTo(6, 5);
    expect(r.evals).toHaveLength(1);
    expect(Number.isFinite(r.evals[0].meanReturn)).toBe(true);
    expect(Number.isFinite(r.lastMetrics["loss/actor"])).toBe(true);
    expect(existsSync(join(dir, "checkpoint.json"))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).config.contextLength).toBe(4);
    expect(logs.join("\n")).toContain("dt: target return 6");
    // The run's policy package: the transformer, conditioned on the dataset's best return.
    const pkg = loadPolicyPackage(dir);
    expect(pkg.manifest.policy.kind).toBe("decision-transformer");
    expect(pkg.transformer?.targetReturn).toBeCloseTo(6, 5);
    expect(pkg.manifest.provenance.config.targetReturn).toBeCloseTo(6, 5);
    const session = await ort.InferenceSession.create(join(dir, "policy.onnx"));
    expect(session.inputNames).toEqual([...DT_ONNX_INPUTS]);
    await session.release();
  });

  it("uses --target-return when given", async () => {
    const r = await run(mkdtempSync(join(tmpdir(), "tether-dt-")), 2.5);
    expect(r.targetReturn).toBe(2.5);
  });
});
