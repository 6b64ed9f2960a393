/**
 * rosbag2 (C++, rclcpp) on the same graph as a `tether launch --ros` recording run, both ways:
 * `ros2 bag record` of the run imported by `tether import` gives the recorder's dataset; Tether's MCAP run
 * log passes `ros2 bag info` and, played with `ros2 bag play` into Tether's recorder, gives it again.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { datasetColumns } from "./dataset-columns.js";
import {
  describeRos2,
  nodeList,
  ros2Env,
  run,
  start,
  startTether,
  waitUntil,
  type Proc,
} from "./ros2-env.js";

const DOMAIN = 215;
const TOPICS = ["/joint_states", "/forward_effort_controller/commands", "/goal", "/episode", "/clock"];
const EPISODES = 3;
// Tether's run log marks these latched, so ros2 bag play republishes them transient local.

describeRos2("rosbag2 and Tether on one graph", () => {
  let env: NodeJS.ProcessEnv;
  const dir = mkdtempSync(join(tmpdir(), "tether-ros2-bag-"));
  const procs: Proc[] = [];

  beforeAll(async () => {
    env = ros2Env(DOMAIN);
    const runLog = startTether(
      [
        "node",
        "run",
        "run_log",
        "--ros",
        "--ros-args",
        "-p",
        `file:=${join(dir, "run.mcap")}`,
        "-p",
        "robot:=reacher2",
        "-p",
        "topics:=/episode:std_msgs/msg/Int32",
      ],
      env,
    );
    const bag = start(
      "ros2",
      ["bag", "record", "-s", "mcap", "-o", join(dir, "bag"), "--topics", ...TOPICS],
      env,
    );
    procs.push(runLog, bag);
    await runLog.waitFor(/run_log: recording/, 60_000);
    await bag.waitFor(/Recording\.\.\.|Listening for topics/, 30_000);
    const launch = startTether(
      ["launch", "launch/record.launch.xml", "--ros", `out:=${join(dir, "rec")}`, `episodes:=${EPISODES}`],
      env,
    );
    procs.push(launch);
    await launch.waitFor(new RegExp(`finished ${EPISODES} episode\\(s\\)`), 120_000);
    await new Promise((r) => setTimeout(r, 1000));
    for (const p of [launch, runLog, bag]) expect(await p.interrupt(), p.output()).toBe(0);
    expect(launch.output()).toMatch(new RegExp(`\\[recorder\\]: wrote ${EPISODES} episodes`));
  });
  afterAll(async () => {
    for (const p of procs) await p.interrupt();
  });

  it("ros2 bag record of the run -> tether import: the recorder's episodes and states", async () => {
    // Episodes as record.launch.xml's recorder sees them: from /episode (reacher2's robot.yaml names none).
    const mapping = join(dir, "mapping.yaml");
    writeFileSync(mapping, "episode: {topic: /episode}\n");
    const imp = await run(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/main.ts",
        "import",
        join(dir, "bag"),
        "--robot",
        "reacher2",
        "--map",
        mapping,
        "--behavior",
        "expert",
        "--out",
        join(dir, "imported"),
        "--json",
      ],
      env,
      120_000,
    );
    expect(imp.code, imp.out).toBe(0);
    const recorded = datasetColumns(join(dir, "rec"));
    const imported = datasetColumns(join(dir, "imported"));

    // The recorder aligns by header stamps (sim time); the import aligns by rosbag2's receive times, and
    // this lock-step run goes faster than real time, so the import samples fewer steps of the same run.
    // Same episodes, and the imported observations are states the recorder wrote.
    expect(imported.episodes_count).toBe(recorded.episodes_count);
    const rows = (obs: number[]) => {
      const out = new Set<string>();
      for (let i = 0; i < obs.length; i += 10) out.add(obs.slice(i, i + 10).join(","));
      return out;
    };
    const mine = rows(recorded.observations);
    const theirs = [...rows(imported.observations)];
    const shared = theirs.filter((r) => mine.has(r)).length;
    expect(shared / theirs.length).toBeGreaterThan(0.95);
  });

  it("Tether's MCAP run log passes ros2 bag info", async () => {
    const info = await run("ros2", ["bag", "info", join(dir, "run.mcap")], env);
    expect(info.code, info.out).toBe(0);
    expect(info.out).toMatch(/Storage id:\s+mcap/);
    expect(info.out).toMatch(
      /Topic: \/joint_states \| Type: sensor_msgs\/msg\/JointState \| Count: [1-9]\d*/,
    );
    expect(info.out).toMatch(
      /Topic: \/forward_effort_controller\/commands \| Type: std_msgs\/msg\/Float64MultiArray/,
    );
  });

  it("ros2 bag play of the run log into Tether's recorder gives the recorder's dataset", async () => {
    const recorder = startTether(
      [
        "node",
        "run",
        "recorder",
        "--ros",
        "--ros-args",
        "-p",
        "robot:=reacher2",
        "-p",
        `out:=${join(dir, "played")}`,
        "-p",
        "episode_topic:=/episode",
        "-p",
        "reset_jump:=0.0",
        "-p",
        "behavior:=expert",
        "-p",
        "flush_interval_ms:=600000",
      ],
      env,
    );
    procs.push(recorder);
    await recorder.waitFor(/recording robot reacher2/, 60_000);
    await waitUntil(async () => (await nodeList(env)).includes("/recorder"), "/recorder on the graph");
    // --delay: the player's first messages would be lost while the recorder is still matching it.
    // --rate 0.5: the lock-step run logged a message every millisecond or two; at that pace a busy
    // machine can let one topic's queue run ahead of another's at the recorder.
    const play = await run(
      "ros2",
      ["bag", "play", "--delay", "1", "--rate", "0.5", join(dir, "run.mcap")],
      env,
      180_000,
    );
    expect(play.code, play.out).toBe(0);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await recorder.interrupt()).toBe(0);
    expect(datasetColumns(join(dir, "played"))).toEqual(datasetColumns(join(dir, "rec")));
  });
});
