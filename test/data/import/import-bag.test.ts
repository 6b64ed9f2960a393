import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, DatasetFormatError } from "../../../src/core/errors.js";
import { readEpisodes } from "../../../src/data/dataset-reader.js";
import { importBag } from "../../../src/data/import/import-bag.js";
import { writeSyntheticRunLog, type SyntheticTruth } from "../../../src/data/import/synthetic-log.js";
import { RunLogWriter } from "../../../src/data/runlog/run-log-writer.js";
import { bagPath, tempDir } from "../rosbag2/helpers.js";
import { ARM2_DIR, FIXTURES, arm2 } from "./helpers.js";

const spec = arm2().spec;
const f32 = Math.fround;

/** The arm2 reward, written out independently of the expression engine. */
function expectedReward(t: SyntheticTruth, next: number, act: number): number {
  const p0 = t.positions[next * 2];
  const p1 = t.positions[next * 2 + 1];
  const [gx, gy] = [t.tasks.goal[next * 2], t.tasks.goal[next * 2 + 1]];
  const c = [t.commands[act * 2], t.commands[act * 2 + 1]];
  return -Math.abs(p0 - gx) - Math.abs(p1 - gy) - (c[0] ** 2 + c[1] ** 2);
}

/** Checks episode transitions against the log: obs_k from state k, action_k = command k, reward from k+1. */
function checkEpisode(
  ep: ReturnType<typeof readEpisodes> extends Generator<infer E> ? E : never,
  t: SyntheticTruth,
  first: number,
): void {
  for (let i = 0; i <= ep.steps; i++) {
    const k = first + i;
    expect(Array.from(ep.observations.subarray(i * 4, i * 4 + 4))).toEqual(
      [t.positions[k * 2], t.positions[k * 2 + 1], t.velocities[k * 2], t.tasks.goal[k * 2]].map(f32),
    );
    expect(ep.timestamps[i]).toBeCloseTo(Number(t.tNs[k]) / 1e9, 6);
  }
  for (let i = 0; i < ep.steps; i++) {
    const k = first + i;
    expect(Array.from(ep.actions.subarray(i * 2, i * 2 + 2))).toEqual(
      [t.commands[k * 2], t.commands[k * 2 + 1]].map(f32),
    );
    expect(ep.rewards[i]).toBeCloseTo(expectedReward(t, k + 1, k), 5);
    expect(ep.terminals[i]).toBe(0);
  }
}

describe("tether import: run log -> dataset", () => {
  it("aligns a lock-step log with the robot's defaults: obs, actions, rewards, time-limit episodes", async () => {
    const dir = tempDir();
    const bag = join(dir, "run.mcap");
    const truth = await writeSyntheticRunLog(bag, spec, { steps: 100, seed: 3, clock: true });
    const report = await importBag({ bag, robot: ARM2_DIR, out: join(dir, "ds") });
    // max_episode_steps 40: samples 0..40, 41..81, 82..99 (the boundary transition is a reset jump).
    expect([report.episodes, report.transitions, report.time_limits]).toEqual([3, 97, 2]);
    expect(report.stale_samples).toBe(0);
    const eps = [...readEpisodes(join(dir, "ds"))];
    expect(eps.map((e) => e.steps)).toEqual([40, 40, 17]);
    expect(eps.map((e) => Array.from(e.timeouts).lastIndexOf(1))).toEqual([39, 39, 16]);
    checkEpisode(eps[0], truth, 0);
    checkEpisode(eps[1], truth, 41);
    checkEpisode(eps[2], truth, 82);
    // Actions are normalized per actuator range: elbow range is [-0.4, 0.4].
    expect(eps[0].actionsNormalized[1]).toBeCloseTo(truth.commands[1] / 0.4, 5);
  });

  it("follows a mapping file: renamed joints, reordered command indices, delayed commands, episode topic", async () => {
    const dir = tempDir();
    const bag = join(dir, "run.mcap");
    const truth = await writeSyntheticRunLog(bag, spec, {
      steps: 60,
      seed: 5,
      episodeLength: 25,
      episodeTopic: "/arm/episode",
      jointNames: { shoulder_joint: "j1", elbow_joint: "j2" },
      jointStatesTopic: "/arm/joint_states",
      commandTopic: "/arm/commands",
      commandOrder: ["elbow_effort", "shoulder_effort"],
      taskTopics: { goal: "/arm/target" },
      commandDelayNs: 3_000_000n,
    });
    const report = await importBag({
      bag,
      robot: ARM2_DIR,
      map: join(FIXTURES, "arm2-remap.yaml"),
      out: join(dir, "ds"),
    });
    expect([report.episodes, report.transitions, report.episode_marks]).toEqual([3, 57, 2]);
    const eps = [...readEpisodes(join(dir, "ds"))];
    expect(eps.map((e) => e.steps)).toEqual([24, 24, 9]);
    checkEpisode(eps[0], truth, 0);
    checkEpisode(eps[1], truth, 25);
    checkEpisode(eps[2], truth, 50);
  });

  it("marks a termination from the robot's spec as terminal and starts the next episode after it", async () => {
    const dir = tempDir();
    const bag = join(dir, "run.mcap");
    const log = await RunLogWriter.create(bag);
    log.command("/goal", 0n, [0, 0]);
    const elbow = [2.0, 2.2, 2.4, 2.6, 0.1, 0.2, 0.3];
    elbow.forEach((e, k) => {
      const t = BigInt(k) * 20_000_000n;
      log.jointState(t, ["elbow_joint", "shoulder_joint"], [e, 0.5], [0, 0], [0, 0]);
      log.command("/forward_effort_controller/commands", t, [0.1, 0.2]);
    });
    await log.close();
    const report = await importBag({ bag, robot: ARM2_DIR, out: join(dir, "ds") });
    const eps = [...readEpisodes(join(dir, "ds"))];
    expect(eps.map((e) => [e.steps, Array.from(e.terminals), Array.from(e.timeouts), e.termination])).toEqual(
      [
        [3, [0, 0, 1], [0, 0, 0], "elbow_out_of_range"],
        [2, [0, 0], [0, 1], ""],
      ],
    );
    // Joints matched by name, not position: the log lists the elbow first.
    expect(Array.from(eps[0].observations.subarray(0, 2))).toEqual([0.5, 2.0].map(f32));
    expect(report.terminals).toBe(1);
  });

  it("splits episodes at a gap longer than max_state_age_ms and counts it", async () => {
    const dir = tempDir();
    const bag = join(dir, "run.mcap");
    const log = await RunLogWriter.create(bag);
    log.command("/goal", 0n, [0, 0]);
    for (const k of [0, 1, 2, 3, 4, 15, 16, 17]) {
      const t = BigInt(k) * 20_000_000n;
      log.jointState(t, ["shoulder_joint", "elbow_joint"], [k / 10, 0], [0, 0], [0, 0]);
      log.command("/forward_effort_controller/commands", t, [0, 0]);
    }
    await log.close();
    const report = await importBag({ bag, robot: ARM2_DIR, out: join(dir, "ds") });
    const eps = [...readEpisodes(join(dir, "ds"))];
    expect(eps.map((e) => e.steps)).toEqual([4, 2]);
    expect(Array.from(eps[1].observations.subarray(0, 1))).toEqual([f32(1.5)]);
    expect(report.gaps).toBe(1);
  });
});

describe("tether import rejects bad input", () => {
  it("rejects a mapping naming a field the message does not have (real bag)", async () => {
    const dir = tempDir();
    const map = join(dir, "map.yaml");
    writeFileSync(map, "joint_states:\n  topic: /test_topic\n");
    await expect(
      importBag({ bag: bagPath("cdr_test_mcap"), robot: ARM2_DIR, map, out: join(dir, "ds") }),
    ).rejects.toThrow(
      `${join(ARM2_DIR, "robot.yaml")}: joints: topic /test_topic (test_msgs/msg/BasicTypes): field position[name=shoulder_joint]: test_msgs/msg/BasicTypes has no field "position" (fields: bool_value, byte_value, char_value, float32_value, float64_value, int8_value, uint8_value, int16_value, uint16_value, int32_value, uint32_value, int64_value, uint64_value)`,
    );
  });

  it("rejects a signals path into a nested field that does not exist", async () => {
    const dir = tempDir();
    const bag = join(dir, "run.mcap");
    await writeSyntheticRunLog(bag, spec, { steps: 5 });
    const map = join(dir, "map.yaml");
    writeFileSync(map, "signals:\n  task.goal.x: {topic: /joint_states, path: header.stamp.seconds}\n");
    await expect(importBag({ bag, robot: ARM2_DIR, map, out: join(dir, "ds") })).rejects.toThrow(
      `${map}: signals.task.goal.x: topic /joint_states (sensor_msgs/msg/JointState): field header.stamp.seconds: sensor_msgs/msg/JointState.header.stamp is a time, it has no field "seconds" (fields: sec, nanosec)`,
    );
  });

  it("rejects a mapped topic that is not in the bag, listing the bag's topics", async () => {
    const dir = tempDir();
    const map = join(dir, "map.yaml");
    writeFileSync(map, "joint_states:\n  topic: /arm/joint_states\n");
    const err = await importBag({
      bag: bagPath("talker_sqlite3"),
      robot: ARM2_DIR,
      map,
      out: join(dir, "ds"),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(
      `${join(ARM2_DIR, "robot.yaml")}: joints: topic /arm/joint_states is not in bag ${bagPath("talker_sqlite3")}\n  hint: the bag has: /parameter_events, /rosout, /topic`,
    );
  });

  it("rejects a joint name missing from JointState.name at the message, naming topic and time", async () => {
    const dir = tempDir();
    const bag = join(dir, "run.mcap");
    await writeSyntheticRunLog(bag, spec, { steps: 5, jointNames: { elbow_joint: "elbow" }, startNs: 1000n });
    await expect(importBag({ bag, robot: ARM2_DIR, out: join(dir, "ds") })).rejects.toThrow(
      `${join(ARM2_DIR, "robot.yaml")}: joints: topic /joint_states: position[name=elbow_joint]: name[] has no "elbow_joint" (has: shoulder_joint, elbow) (message logged at 1000 ns in ${bag})`,
    );
  });

  it("rejects a robot that does not exist", async () => {
    await expect(
      importBag({ bag: bagPath("talker_mcap"), robot: "no_such_robot", out: join(tempDir(), "ds") }),
    ).rejects.toThrow('--robot: robot: no robot named "no_such_robot"');
  });

  it("rejects a mapping key that is not a joint of the robot", async () => {
    const dir = tempDir();
    const map = join(dir, "map.yaml");
    writeFileSync(map, "joint_states:\n  joints: {wrist: w}\n");
    await expect(
      importBag({ bag: bagPath("talker_mcap"), robot: ARM2_DIR, map, out: join(dir, "ds") }),
    ).rejects.toThrow(
      `${map}: joint_states.joints.wrist: robot arm2 has no joint "wrist"\n  hint: joints: shoulder_joint, elbow_joint`,
    );
  });

  it("rejects an unknown align.stamp_source, naming the file and field", async () => {
    const dir = tempDir();
    const map = join(dir, "map.yaml");
    writeFileSync(map, "align: {stamp_source: publish}\n");
    await expect(
      importBag({ bag: bagPath("talker_mcap"), robot: ARM2_DIR, map, out: join(dir, "ds") }),
    ).rejects.toThrow(new RegExp(`${map}: align\\.stamp_source`));
  });

  it("rejects a mapped topic of an unknown message type, naming file and topic", async () => {
    const initSqlJs = (await import("sql.js")).default;
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.run(
      "CREATE TABLE topics(id INTEGER PRIMARY KEY, name TEXT, type TEXT, serialization_format TEXT, offered_qos_profiles TEXT)",
    );
    db.run("CREATE TABLE messages(id INTEGER PRIMARY KEY, topic_id INTEGER, timestamp INTEGER, data BLOB)");
    db.run("INSERT INTO topics VALUES (1, '/joint_states', 'acme_msgs/msg/ArmState', 'cdr', '')");
    db.run("INSERT INTO messages VALUES (1, 1, 1000, x'00010000')");
    const dir = tempDir();
    const bag = join(dir, "old.db3");
    writeFileSync(bag, db.export());
    const err = await importBag({ bag, robot: ARM2_DIR, out: join(dir, "ds") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetFormatError);
    expect((err as Error).message).toBe(
      `${bag}: topic /joint_states: unknown message type acme_msgs/msg/ArmState: the bag carries no definition and Tether has none built in\n` +
        "  hint: re-record with rosbag2 Iron or newer (definitions are stored in the bag), or convert the bag to MCAP",
    );
  });

  it("rejects a truncated run log, naming the file and offset", async () => {
    const dir = tempDir();
    const bag = join(dir, "run.mcap");
    await writeSyntheticRunLog(bag, spec, { steps: 50, compression: "none" });
    const bytes = readFileSync(bag);
    writeFileSync(bag, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const err = await importBag({ bag, robot: ARM2_DIR, out: join(dir, "ds") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetFormatError);
    expect((err as DatasetFormatError).file).toBe(bag);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^${bag} @\\d+: truncated MCAP file: it ends at byte ${Math.floor(bytes.length / 2)} inside a record`,
      ),
    );
  });
});
