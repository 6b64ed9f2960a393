/**
 * rosbag2 (C++, rclcpp) on the same graph as a `tether launch --ros` recording run, both ways:
 * `ros2 bag record` of the run imported by `tether import` gives the recorder's episodes and states;
 * Tether's MCAP run log passes `ros2 bag info`, and `ros2 bag play` of it (like Tether's own replay node)
 * drives Tether's recorder through every step of the run. A run log on use_sim_time logs in sim time.
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

const DOMAIN = 92;
const TOPICS: Record<string, string> = {
  "/joint_states": "sensor_msgs/msg/JointState",
  "/forward_effort_controller/commands": "std_msgs/msg/Float64MultiArray",
  "/goal": "std_msgs/msg/Float64MultiArray",
  "/episode": "std_msgs/msg/Int32",
  "/clock": "rosgraph_msgs/msg/Clock",
};
const EPISODES = 3;
// Tether's run log marks these latched, so ros2 bag play republishes them transient local.

/** The recorder's closing line: every step of the 3 x 200-step run arrived, in at least 3 episodes. */
function expectWholeRun(output: string): void {
  const m = /wrote (\d+) episodes, (\d+) transitions/.exec(output);
  expect(m, output).not.toBeNull();
  expect(Number(m![1])).toBeGreaterThanOrEqual(EPISODES);
  // A /episode mark the run log received late or early moves a step between episodes, and a step at a
  // moved boundary is not a transition; the states themselves all arrive.
  expect(Number(m![2])).toBeGreaterThanOrEqual(EPISODES * 200 - 6);
}

/** Each episode as its transitions (observation, action, reward, next observation), in order. */
function episodeRows(d: ReturnType<typeof datasetColumns>): string[][] {
  const obsDim = d.observations.length / d.transitions;
  const actDim = d.actions.length / d.transitions;
  const out = new Map<number, string[]>();
  for (let i = 0; i < d.transitions; i++) {
    const row = [
      ...d.observations.slice(i * obsDim, (i + 1) * obsDim),
      ...d.actions.slice(i * actDim, (i + 1) * actDim),
      d.rewards[i],
      ...d.nextObservations.slice(i * obsDim, (i + 1) * obsDim),
    ].join(",");
    const e = d.episodes[i];
    if (!out.has(e)) out.set(e, []);
    out.get(e)!.push(row);
  }
  return [...out.values()];
}

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
    // A second run log on sim time: its log times must follow sim_robot's /clock, not the wall clock.
    const simLog = startTether(
      [
        "node",
        "run",
        "run_log",
        "--ros",
        "--ros-args",
        "-r",
        "__node:=sim_time_log",
        "-p",
        `file:=${join(dir, "sim-time.mcap")}`,
        "-p",
        "use_sim_time:=true",
      ],
      env,
    );
    procs.push(simLog);
    await simLog.waitFor(/run_log: recording/, 60_000);
    // rosbag2 subscribes to a topic only once it has discovered a publisher of it, and the lock-step run
    // waits for the recorder and the behavior, not for rosbag2: without these idle publishers (-w 99: they
    // wait for subscribers and never publish) the bag can miss or receive late the run's first commands.
    const idle = Object.entries(TOPICS).map(([topic, type]) =>
      start("ros2", ["topic", "pub", "-w", "99", topic, type, "{}"], env),
    );
    procs.push(...idle);
    const bag = start(
      "ros2",
      ["bag", "record", "-s", "mcap", "-o", join(dir, "bag"), "--topics", ...Object.keys(TOPICS)],
      env,
    );
    procs.push(runLog, bag);
    await runLog.waitFor(/run_log: recording/, 60_000);
    for (const topic of Object.keys(TOPICS))
      await bag.waitFor(new RegExp(`Subscribed to topic '${topic}'`), 30_000);
    for (const p of idle) await p.interrupt();
    const launch = startTether(
      ["launch", "launch/record.launch.xml", "--ros", `out:=${join(dir, "rec")}`, `episodes:=${EPISODES}`],
      env,
    );
    procs.push(launch);
    await launch.waitFor(new RegExp(`finished ${EPISODES} episode\\(s\\)`), 120_000);
    await new Promise((r) => setTimeout(r, 1000));
    for (const p of [launch, runLog, simLog, bag]) expect(await p.interrupt(), p.output()).toBe(0);
    expect(launch.output()).toMatch(new RegExp(`\\[recorder\\]: wrote ${EPISODES} episodes`));
  });
  afterAll(async () => {
    for (const p of procs) await p.interrupt();
  });

  it("ros2 bag record of the run -> tether import with header stamps: the recorder's dataset", async () => {
    // Episodes as record.launch.xml's recorder sees them (from /episode: reacher2's robot.yaml names none),
    // aligned as it aligns: states by header stamp (sim time), headerless messages after the latest state.
    const mapping = join(dir, "mapping.yaml");
    writeFileSync(mapping, "episode: {topic: /episode}\nalign: {stamp_source: header}\n");
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
    // Both hold float32 columns computed from the same float64 messages: equal, not close. Only where the
    // bag holds every state: on a loaded machine rosbag2 itself can lose a burst of messages (the lock-step
    // run waits for the recorder, not for it; `ros2 bag info` shows the shortfall).
    const info = await run("ros2", ["bag", "info", join(dir, "bag")], env);
    const bagStates = Number(/Topic: \/joint_states \| .* \| Count: (\d+)/.exec(info.out)?.[1]);
    const runStates = recorded.transitions + recorded.episodes_count;
    if (bagStates === runStates) {
      expect(imported).toEqual(recorded);
      return;
    }
    // rosbag2 lost states: every whole episode the import has is one of the recorder's, transition for
    // transition (and at least one of the three is whole).
    expect(bagStates).toBeLessThan(runStates);
    const mine = episodeRows(recorded);
    const whole = episodeRows(imported).filter((e) => e.length === 200);
    expect(whole.length).toBeGreaterThanOrEqual(1);
    for (const e of whole) expect(mine).toContainEqual(e);
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

  it("ros2 bag play of the run log drives Tether's recorder: every step of the run recorded", async () => {
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
    expectWholeRun(recorder.output());
  });

  it("a node with use_sim_time follows /clock: the sim-time run log starts near 0 s", async () => {
    const info = await run("ros2", ["bag", "info", join(dir, "sim-time.mcap")], env);
    expect(info.code, info.out).toBe(0);
    expect(info.out).toMatch(/Topic: \/clock \| Type: rosgraph_msgs\/msg\/Clock \| Count: [1-9]/);
    // `Start: <date> (<seconds since the epoch>)`: sim time starts at 0, the wall clock near 1.8e9.
    const start = Number(/Start:.*\((\d+\.\d+)\)/.exec(info.out)?.[1]);
    const end = Number(/End:.*\((\d+\.\d+)\)/.exec(info.out)?.[1]);
    expect(start).toBeLessThan(60);
    // Three 200-step episodes at 50 Hz: about 12 s of sim time, however fast the lock-step run went.
    expect(end).toBeGreaterThan(10);
    expect(end).toBeLessThan(14);
  });

  it("Tether's replay node under --ros plays the run log into the recorder like ros2 bag play", async () => {
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
        `out:=${join(dir, "replayed")}`,
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
    const replay = startTether(
      [
        "node",
        "run",
        "replay",
        "--ros",
        "--ros-args",
        "-p",
        `bag:=${join(dir, "run.mcap")}`,
        "-p",
        "rate:=0.5",
      ],
      env,
    );
    procs.push(replay);
    await replay.waitFor(/replay: finished, \d+ messages/, 120_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await replay.interrupt()).toBe(0);
    expect(await recorder.interrupt()).toBe(0);
    expectWholeRun(recorder.output());
  });
});
