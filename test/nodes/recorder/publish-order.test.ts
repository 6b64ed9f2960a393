/**
 * A lock-step run as the recorder node receives it over DDS, with one message delivered late (a reliable
 * writer's retransmit under load): the recorder node's wiring (PublishOrderBuffer in front of RecorderCore,
 * headerless messages stamped just after the latest state when handled) replayed deterministically. A late
 * /episode mark split an episode (4 episodes, 599 transitions for 3 x 200 steps: the bag-interop flake); a
 * late command paired a state with the previous command. In publication order both record what an in-order
 * delivery records, byte for byte.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DatasetWriter, layoutFromSpec } from "../../../src/data/dataset-writer.js";
import { readEpisodes } from "../../../src/data/dataset-reader.js";
import { PublishOrderBuffer } from "../../../src/nodes/recorder/publish-order.js";
import { RecorderCore } from "../../../src/nodes/recorder/recorder-core.js";
import { loadRobot } from "../../../src/robot/load.js";

const { spec } = loadRobot("reacher2");
const PERIOD = 20_000_000n; // 50 Hz sim time
const STEPS = spec.control.max_episode_steps; // 200
const EPISODES = 3;
const MS = 1_000_000n;

interface Msg {
  kind: "state" | "command" | "goal" | "episode";
  /** DDS source timestamp: the publisher's wall clock. */
  sourceNs: bigint;
  /** Header stamp (sim time) of a state. */
  stamp: bigint;
  values: number[];
}

/** sim_robot and the behavior in lock step: per episode its mark and goal, then state k and the command answering it. */
function lockstepRun(): Msg[] {
  const out: Msg[] = [];
  let wall = 1_000_000_000n;
  let sim = 0n;
  const send = (kind: Msg["kind"], values: number[], stamp = 0n): void => {
    wall += MS;
    out.push({ kind, sourceNs: wall, stamp, values });
  };
  for (let e = 0; e < EPISODES; e++) {
    send("episode", [e]);
    send("goal", [0.1 * (e + 1), -0.05 * e]);
    for (let k = 0; k <= STEPS; k++) {
      send("state", [0.002 * k + 0.3 * e, -0.001 * k, 0.1, -0.05], sim);
      send("command", [0.01 * Math.sin(k + e), -0.01 * Math.cos(k)]);
      sim += PERIOD;
    }
  }
  return out;
}

/** The delivery order with message `i` arriving after the `after` messages that follow it. */
function delayed(msgs: Msg[], i: number, after: number): Msg[] {
  const out = msgs.slice();
  const [late] = out.splice(i, 1);
  out.splice(i + after, 0, late);
  return out;
}

/** Feeds `arrivals` as the recorder node does (header stamps, reorder window in ms) and returns the dataset. */
async function record(arrivals: Msg[], windowMs: number) {
  const dir = mkdtempSync(join(tmpdir(), "tether-rec-order-"));
  const writer = await DatasetWriter.create(dir, {
    ...layoutFromSpec(spec),
    source: "recorder",
    behavior: "test",
    flushIntervalMs: 0,
  });
  const core = new RecorderCore(spec, writer, { episodeTopic: "/episode", resetJump: 0 });
  const order = new PublishOrderBuffer(BigInt(windowMs) * MS);
  const names = spec.joints.map((j) => j.name);
  for (const m of arrivals) {
    order.push(m.sourceNs, () => {
      if (m.kind === "state")
        core.jointState(m.stamp, names, m.values.slice(0, 2), m.values.slice(2), [0, 0]);
      else if (m.kind === "command") core.command(core.headerlessStampNs(), m.values);
      else if (m.kind === "goal") core.taskValues(0, core.headerlessStampNs(), m.values);
      else core.episodeValue(core.headerlessStampNs(), m.values[0]);
    });
  }
  order.flush();
  const stats = core.finish();
  await writer.close();
  const episodes = [...readEpisodes(dir)].map((ep) => ({
    steps: ep.steps,
    observations: Array.from(ep.observations),
    actions: Array.from(ep.actions),
    rewards: Array.from(ep.rewards),
  }));
  return { stats, episodes };
}

describe("recorder in publication order", () => {
  const run = lockstepRun();
  const markOf = (e: number): number => run.findIndex((m) => m.kind === "episode" && m.values[0] === e);
  const commandAfter = (k: number): number =>
    run.findIndex((m, i) => i > 0 && m.kind === "command" && run[i - 1].stamp === BigInt(k) * PERIOD);

  it("delivered in order, a lock-step run is 3 episodes of 200 transitions, with or without the window", async () => {
    for (const window of [0, 500]) {
      const r = await record(run, window);
      expect(r.stats.episodes).toBe(EPISODES);
      expect(r.stats.transitions).toBe(EPISODES * STEPS);
      expect(r.episodes.map((e) => e.steps)).toEqual([STEPS, STEPS, STEPS]);
    }
  });

  it("an /episode mark that arrives 3 states late splits an episode when handled on arrival, not in publication order", async () => {
    const reference = await record(run, 500);
    // Episode 1's mark overtaken by its goal and its first three states and commands.
    const late = delayed(run, markOf(1), 7);
    const onArrival = await record(late, 0);
    expect(onArrival.stats.episodes).toBe(EPISODES + 1);
    expect(onArrival.stats.transitions).toBe(EPISODES * STEPS - 1);
    expect(onArrival.stats.episode_marks).toBeGreaterThan(reference.stats.episode_marks);
    const ordered = await record(late, 500);
    expect(ordered.episodes).toEqual(reference.episodes);
  });

  it("a command that arrives after the next state pairs the wrong action on arrival, the right one in order", async () => {
    const reference = await record(run, 500);
    const late = delayed(run, commandAfter(50), 2);
    const onArrival = await record(late, 0);
    // No split (the previous command is not stale yet): one transition silently holds the previous command.
    expect(onArrival.stats.transitions).toBe(EPISODES * STEPS);
    expect(onArrival.episodes).not.toEqual(reference.episodes);
    expect((await record(late, 500)).episodes).toEqual(reference.episodes);
  });

  it("a delay longer than the window is not undone: handled as it arrives", async () => {
    // 7 messages at 1 ms each against a 3 ms window.
    const late = delayed(run, markOf(1), 7);
    const r = await record(late, 3);
    expect(r.stats.episodes).toBe(EPISODES + 1);
  });
});

describe("PublishOrderBuffer", () => {
  it("releases in source-timestamp order once a message a window later arrived, and the rest on flush", () => {
    const seen: string[] = [];
    const b = new PublishOrderBuffer(10n);
    const push = (ts: number, name: string) => b.push(BigInt(ts), () => seen.push(name));
    push(5, "b");
    push(1, "a");
    push(5, "b2"); // the same timestamp: arrival order
    expect(seen).toEqual([]);
    push(12, "c"); // due: ts <= 2
    expect(seen).toEqual(["a"]);
    push(15, "d"); // due: ts <= 5
    expect(seen).toEqual(["a", "b", "b2"]);
    expect(b.size).toBe(2);
    b.flush();
    expect(seen).toEqual(["a", "b", "b2", "c", "d"]);
    // Without a source timestamp (the embedded runtime) a message runs at once, after what is held.
    push(40, "e");
    b.push(undefined, () => seen.push("now"));
    expect(seen.slice(-2)).toEqual(["e", "now"]);
  });

  it("runs every released message even if one throws, then rethrows, and refuses a negative window", () => {
    const seen: number[] = [];
    const b = new PublishOrderBuffer(100n);
    b.push(1n, () => {
      throw new Error("bad message");
    });
    b.push(2n, () => seen.push(2));
    expect(() => b.flush()).toThrow(/bad message/);
    expect(seen).toEqual([2]);
    expect(() => new PublishOrderBuffer(-1n)).toThrow(/window must be >= 0 ns, got -1/);
  });
});
