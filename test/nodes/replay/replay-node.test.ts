import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEmbeddedContext } from "../../../src/ros/embedded/context.js";
import { play, type PlayerClock } from "../../../src/nodes/replay/bag-player.js";
import { openReplaySource } from "../../../src/nodes/replay/replay-source.js";
import { startReplay, replayNode } from "../../../src/nodes/replay/replay-node.js";
import { EPISODE_TOPIC, OBSERVATION_TOPIC } from "../../../src/nodes/replay/dataset-source.js";
import { RunLogWriter } from "../../../src/data/runlog/run-log-writer.js";
import { importBag } from "../../../src/data/import/import-bag.js";
import { bagPath, fixtureBag, tempDir } from "../../data/rosbag2/helpers.js";
import { ARM2_DIR } from "../../data/import/helpers.js";

/** A fake clock: sleeping advances time instantly, so timing is checked exactly without waiting. */
function virtualClock(): PlayerClock & { sleeps: number[] } {
  let now = 1000;
  const sleeps: number[] = [];
  return {
    sleeps,
    nowMs: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

describe("bag player timing", () => {
  it("publishes each message at its original offset divided by rate, with /clock before it", async () => {
    const source = await openReplaySource(bagPath("talker_mcap"));
    const clock = virtualClock();
    const events: [string, number, bigint][] = [];
    const stats = await play(
      source,
      {
        publish: (m) => events.push([m.topic, clock.nowMs(), m.logTimeNs]),
        publishClock: (t) => events.push(["/clock", clock.nowMs(), t]),
      },
      { topics: new Set(["/topic", "/rosout"]), rate: 2, clockSource: clock, clockHz: 10 },
    );
    await source.close();
    expect(stats.published).toBe(20);
    expect(stats.perTopic).toEqual({ "/topic": 10, "/rosout": 10 });
    const msgs = events.filter((e) => e[0] !== "/clock");
    const t0 = msgs[0][2];
    for (const [, wall, t] of msgs) expect(wall - 1000).toBeCloseTo(Number(t - t0) / 1e6 / 2, 6);
    // /clock never goes backwards and precedes each message with that message's time.
    const clocks = events.filter((e) => e[0] === "/clock").map((e) => e[2]);
    for (let i = 1; i < clocks.length; i++) expect(clocks[i] > clocks[i - 1]).toBe(true);
    events.forEach((e, i) => {
      if (e[0] !== "/clock")
        expect(
          events
            .slice(0, i)
            .filter((x) => x[0] === "/clock")
            .pop()![2],
        ).toBe(e[2]);
    });
    // At 10 Hz /clock while waiting: ~4.5 s of log at rate 2 = 2.27 s -> at least 22 clock ticks.
    expect(stats.clockMessages).toBeGreaterThanOrEqual(22);
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(100 + 1e-9);
  });

  it("loops the log when asked, and stops on abort", async () => {
    const source = await openReplaySource(bagPath("cdr_test_sqlite3"));
    const clock = virtualClock();
    const abort = new AbortController();
    let published = 0;
    const stats = await play(
      source,
      {
        publish: () => {
          if (++published === 17) abort.abort();
        },
        publishClock: () => undefined,
      },
      {
        topics: new Set(["/test_topic", "/array_topic"]),
        loop: true,
        clockSource: clock,
        signal: abort.signal,
      },
    );
    await source.close();
    expect(stats.loops).toBe(2);
    expect(stats.published).toBe(17);
  });
});

describe("replay node on the embedded runtime", () => {
  it("publishes a bag's topics with their types, QoS and /clock, like ros2 bag play", async () => {
    const ctx = createEmbeddedContext({ logSink: () => undefined });
    const listener = ctx.createNode("listener");
    const strings: string[] = [];
    const logs: string[] = [];
    const clocks: number[] = [];
    listener.createSubscription("std_msgs/msg/String", "/topic", { qos: { durability: "volatile" } }, (m) =>
      strings.push(m.data),
    );
    listener.createSubscription("rcl_interfaces/msg/Log", "/rosout", {}, (m) =>
      logs.push((m as { msg: string }).msg),
    );
    listener.createSubscription(
      "rosgraph_msgs/msg/Clock",
      "/clock",
      { qos: { reliability: "best_effort", depth: 100 } },
      (m) => clocks.push(m.clock.sec + m.clock.nanosec / 1e9),
    );
    const node = ctx.createNode("replay");
    const handle = await startReplay(node, { path: bagPath("talker_sqlite3"), rate: 50 });
    const stats = await handle.done;
    await handle.stop();
    ctx.spinSome();
    expect(stats.published).toBe(20);
    expect(strings).toEqual(Array.from({ length: 10 }, (_, i) => `Hello, world! ${i}`));
    expect(logs[3]).toBe("Publishing: 'Hello, world! 3'");
    expect(clocks.length).toBeGreaterThan(0);
    expect(clocks[clocks.length - 1]).toBeCloseTo(Number(1585866239643508139n) / 1e9, 6);
    const graph = ctx.graph();
    const topic = graph.topics.find((t) => t.name === "/topic")!;
    expect(topic.type).toBe("std_msgs/msg/String");
    // offered_qos_profiles in the bag: reliability 1 (reliable), durability 2 (volatile)
    expect(topic.publishers[0].qos).toMatchObject({ reliability: "reliable", durability: "volatile" });
    ctx.shutdown();
  });

  for (const name of ["services_mcap", "services_sqlite3"] as const) {
    it(`${name}: plays the topics of a bag recorded with services and skips the service events with a warning`, async () => {
      const warnings: string[] = [];
      const ctx = createEmbeddedContext({
        logSink: (r) => {
          if (r.level === "warn") warnings.push(r.message);
        },
      });
      const listener = ctx.createNode("listener");
      const positions: number[][] = [];
      // Deep enough for all 12: the embedded runtime delivers them on spinSome after the replay.
      listener.createSubscription(
        "sensor_msgs/msg/JointState",
        "/joint_states",
        { qos: { depth: 100 } },
        (m) => positions.push(Array.from(m.position)),
      );
      const node = ctx.createNode("replay");
      const handle = await startReplay(node, { path: fixtureBag(name), rate: 100 });
      const stats = await handle.done;
      await handle.stop();
      ctx.spinSome();
      expect(stats.perTopic).toEqual({ "/joint_states": 12 });
      expect(positions).toEqual(Array.from({ length: 12 }, () => [0.5, -1.25]));
      const reason =
        "service event topic of /add_two_ints (example_interfaces/srv/AddTwoInts): replay publishes topics and does not call services";
      expect(handle.skipped).toEqual({ "/add_two_ints/_service_event": reason });
      expect(warnings).toContain(`replay: skipping /add_two_ints/_service_event: ${reason}`);
      // Jazzy writes QoS enums as words (reliability: reliable).
      const topic = ctx.graph().topics.find((t) => t.name === "/joint_states")!;
      expect(topic.publishers[0].qos).toMatchObject({
        reliability: "reliable",
        durability: "volatile",
        depth: 10,
      });
      ctx.shutdown();
    });
  }

  it("registers types the runtime lacks from the bag's own definitions (test_msgs)", async () => {
    const ctx = createEmbeddedContext({ logSink: () => undefined });
    const listener = ctx.createNode("listener");
    const got: Record<string, unknown>[] = [];
    const node = ctx.createNode("replay");
    const handle = await startReplay(node, {
      path: bagPath("cdr_test_mcap"),
      rate: 100,
      topics: ["/test_topic"],
    });
    listener.createSubscription("test_msgs/msg/BasicTypes", "/test_topic", {}, (m) =>
      got.push(m as Record<string, unknown>),
    );
    await handle.done;
    await handle.stop();
    ctx.spinSome();
    expect(handle.topics).toEqual(["/test_topic"]);
    expect(got.length).toBeGreaterThan(0);
    expect(got.every((m) => m.int32_value === 123)).toBe(true);
    ctx.shutdown();
  });

  it("replays a dataset: actions on the robot's command topic, observations, episode index", async () => {
    const dir = tempDir();
    const bag = join(dir, "run.mcap");
    const log = await RunLogWriter.create(bag);
    log.command("/goal", 0n, [0, 0]);
    for (let k = 0; k < 6; k++) {
      const t = BigInt(k) * 20_000_000n;
      log.jointState(t, ["shoulder_joint", "elbow_joint"], [k, 0], [0, 0], [0, 0]);
      log.command("/forward_effort_controller/commands", t, [0.01 * k, 0]);
    }
    await log.close();
    await importBag({ bag, robot: ARM2_DIR, out: join(dir, "ds") });
    const source = await openReplaySource(join(dir, "ds"));
    expect(source.kind).toBe("dataset");
    const clock = virtualClock();
    const seen: [string, unknown][] = [];
    await play(
      source,
      { publish: (m) => seen.push([m.topic, m.message]), publishClock: () => undefined },
      {
        topics: new Set(source.topics.map((t) => t.name)),
        clockSource: clock,
      },
    );
    // arm2 is not under robots/, so actions go to the generic action topic.
    expect(seen.filter(([t]) => t === EPISODE_TOPIC)).toEqual([[EPISODE_TOPIC, { data: 0 }]]);
    const obs = seen
      .filter(([t]) => t === OBSERVATION_TOPIC)
      .map(([, m]) => Array.from((m as { data: Float64Array }).data)[0]);
    expect(obs).toEqual([0, 1, 2, 3, 4, 5]);
    const acts = seen
      .filter(([t]) => t === "/tether/replay/action")
      .map(([, m]) => Array.from((m as { data: Float64Array }).data)[0]);
    expect(acts.map((a) => Math.round(a * 100))).toEqual([0, 1, 2, 3, 4]);
  });

  it("rejects --topics naming a topic that is not in the log", async () => {
    const ctx = createEmbeddedContext({ logSink: () => undefined });
    const node = ctx.createNode("replay");
    await expect(
      startReplay(node, { path: bagPath("talker_mcap"), topics: ["/joint_states"] }),
    ).rejects.toThrow(
      `${bagPath("talker_mcap")}: --topics names /joint_states, not in the log\n  hint: topics: /parameter_events, /rosout, /topic`,
    );
    ctx.shutdown();
  });

  it("the registered node factory rejects a missing bag parameter", async () => {
    const ctx = createEmbeddedContext({ logSink: () => undefined });
    const node = ctx.createNode("replay");
    await expect(Promise.resolve(replayNode(node, []))).rejects.toThrow(
      '(parameter bag): no bag given\n  hint: set the "bag" parameter (launch arg bag:=<path>)',
    );
    ctx.shutdown();
  });
});
