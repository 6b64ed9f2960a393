import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatasetWriter, layoutFromSpec } from "../../../src/data/dataset-writer.js";
import { readEpisodes } from "../../../src/data/dataset-reader.js";
import { loadRobot } from "../../../src/robot/load.js";
import { compileTask } from "../../../src/robot/task-functions.js";
import { RecorderCore } from "../../../src/nodes/recorder/recorder-core.js";

const { spec } = loadRobot("reacher2");
const task = compileTask(spec);
const PERIOD = 20_000_000n; // 50 Hz

async function recorder(options: ConstructorParameters<typeof RecorderCore>[2] = {}) {
  const dir = mkdtempSync(join(tmpdir(), "tether-rec-"));
  const writer = await DatasetWriter.create(dir, {
    ...layoutFromSpec(spec),
    source: "recorder",
    behavior: "test",
    flushIntervalMs: 0,
  });
  const warnings: string[] = [];
  const core = new RecorderCore(spec, writer, { warn: (m) => warnings.push(m), ...options });
  return { dir, writer, core, warnings };
}

/** State k of a smooth trajectory: shoulder = 0.01 k, elbow = -0.02 k (+ offset after a reset). */
function state(k: number, offset = 0) {
  return { shoulder: 0.01 * k + offset, elbow: -0.02 * k, vs: 0.5, ve: -1 };
}

describe("RecorderCore", () => {
  it("maps joints by name, aligns commands to the step they answer and scores with the spec", async () => {
    const { dir, writer, core } = await recorder();
    core.taskValues(0, 0n, [0.1, -0.05]);
    const N = 12;
    for (let k = 0; k < N; k++) {
      const s = state(k);
      // Joint order in the message is the reverse of the spec's: mapping must go by name.
      core.jointState(
        BigInt(k) * PERIOD,
        ["elbow_joint", "shoulder_joint"],
        [s.elbow, s.shoulder],
        [s.ve, s.vs],
        [0, 0],
      );
      core.command(BigInt(k) * PERIOD + 1n, [0.01 * k, -0.01 * k]);
    }
    const stats = core.finish();
    await writer.close();
    expect(stats.missing_topics).toEqual([]);
    const [ep] = [...readEpisodes(dir)];
    expect(ep.steps).toBe(N - 1);
    // Observation 3 is computed from state 3 with the goal.
    const sig = new Float64Array(task.layout.size);
    const s3 = state(3);
    sig[task.layout.index.get("position.shoulder_joint")!] = s3.shoulder;
    sig[task.layout.index.get("position.elbow_joint")!] = s3.elbow;
    sig[task.layout.index.get("velocity.shoulder_joint")!] = s3.vs;
    sig[task.layout.index.get("velocity.elbow_joint")!] = s3.ve;
    sig[task.layout.index.get("task.goal.x")!] = 0.1;
    sig[task.layout.index.get("task.goal.y")!] = -0.05;
    const obs = new Float32Array(task.obsDim);
    task.observe(sig, obs);
    expect(Array.from(ep.observations.subarray(3 * task.obsDim, 4 * task.obsDim))).toEqual(Array.from(obs));
    // Action 3 is the command sent after state 3 (in actuator units), reward 3 is scored at state 4 with it.
    expect(ep.actions[6]).toBeCloseTo(0.03, 6);
    expect(ep.actions[7]).toBeCloseTo(-0.03, 6);
    const s4 = state(4);
    sig[task.layout.index.get("position.shoulder_joint")!] = s4.shoulder;
    sig[task.layout.index.get("position.elbow_joint")!] = s4.elbow;
    sig[task.layout.index.get("action.shoulder_effort")!] = 0.03;
    sig[task.layout.index.get("action.elbow_effort")!] = -0.03;
    expect(ep.rewards[3]).toBeCloseTo(task.reward(sig), 5);
    expect(ep.timeouts[ep.steps - 1]).toBe(1);
  });

  it("splits episodes at a detected reset and at a time gap", async () => {
    const { dir, writer, core } = await recorder({ resetJump: 0.5 });
    core.taskValues(0, 0n, [0.1, 0.1]);
    let t = 0n;
    const step = (k: number, offset: number) => {
      const s = state(k, offset);
      core.jointState(t, ["shoulder_joint", "elbow_joint"], [s.shoulder, s.elbow], [s.vs, s.ve], []);
      core.command(t + 1n, [0, 0]);
      t += PERIOD;
    };
    for (let k = 0; k < 6; k++) step(k, 0);
    for (let k = 0; k < 6; k++) step(k, 2); // reset: shoulder jumps by ~2 rad
    t += 1_000_000_000n; // one second of silence: a gap
    for (let k = 0; k < 6; k++) step(k, 2);
    const stats = core.finish();
    await writer.close();
    expect(stats.resets_detected).toBe(1);
    expect(stats.gaps).toBe(1);
    expect([...readEpisodes(dir)].map((e) => e.steps)).toEqual([5, 5, 5]);
  });

  it("drops NaN transitions, counts out-of-order stamps, malformed commands and missing joints", async () => {
    const { dir, writer, core, warnings } = await recorder();
    core.taskValues(0, 0n, [0, 0]);
    for (let k = 0; k < 10; k++) {
      const s = state(k);
      const pos = k === 5 ? [NaN, s.elbow] : [s.shoulder, s.elbow];
      core.jointState(BigInt(k) * PERIOD, ["shoulder_joint", "elbow_joint"], pos, [s.vs, s.ve], []);
      core.command(BigInt(k) * PERIOD + 1n, [0, 0]);
    }
    core.jointState(3n * PERIOD, ["shoulder_joint", "elbow_joint"], [0, 0], [0, 0], []); // out of order
    core.command(11n * PERIOD, [1, 2, 3]); // 3 values for 2 actuators
    core.jointState(10n * PERIOD, ["shoulder_joint"], [0.1], [0], []); // elbow missing
    const stats = core.finish();
    await writer.close();
    expect(stats.dropped_non_finite).toBeGreaterThanOrEqual(1);
    expect(stats.out_of_order["/joint_states"]).toBe(1);
    expect(stats.malformed["/forward_effort_controller/commands"]).toBe(1);
    expect(stats.missing_joints).toEqual({ elbow_joint: 1 });
    expect(warnings.some((w) => /joints elbow_joint of robot reacher2 are not in the message/.test(w))).toBe(
      true,
    );
    expect(warnings.some((w) => /has 3 values, the robot has 2 actuators/.test(w))).toBe(true);
    for (const ep of readEpisodes(dir))
      for (const v of ep.observations) expect(Number.isFinite(v)).toBe(true);
  });

  it("reports topics that never arrived and records nothing without commands", async () => {
    const { writer, core } = await recorder();
    for (let k = 0; k < 5; k++)
      core.jointState(BigInt(k) * PERIOD, ["shoulder_joint", "elbow_joint"], [0, 0], [0, 0], []);
    const stats = core.finish();
    await writer.close();
    expect(stats.missing_topics).toEqual(["/forward_effort_controller/commands", "/goal"]);
    expect(stats.transitions).toBe(0);
    expect(stats.stale_samples).toBeGreaterThan(0);
  });
});
