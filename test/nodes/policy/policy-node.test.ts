import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmbeddedContext, type EmbeddedContext } from "../../../src/ros/embedded/context.js";
import { writeLinearPendulumPolicy } from "../../fixtures/linear-pendulum-policy.js";
import { policyNode, startPolicyNode, type PolicyNodeHandle } from "../../../src/nodes/policy/policy-node.js";
import type { DiagnosticArray, Float64MultiArray } from "../../../src/msgs/types.js";
import { timeFromSeconds } from "../../../src/msgs/time.js";
import { ConfigError } from "../../../src/core/errors.js";
import type { Node, PublisherOptions } from "../../../src/ros/node.js";
import {
  createPolicyTrace,
  summarizePolicyTrace,
  TRACE,
  TRACE_FIELDS,
} from "../../../src/safety/loop/policy-trace.js";

// pendulum: 1 joint, obs [cos, sin, angular_velocity], effort range [-2, 2], velocity limit 15, 50 Hz.
function writeConstantPolicy(
  dir: string,
  action: number,
  robot = "pendulum",
  weight: readonly number[] = [0, 0, 0],
): void {
  writeLinearPendulumPolicy(dir, { bias: action, robot, weight });
}

/** The node, except that publishers on `topic` publish through `wrap` (fault injection at the transport). */
function withPublisher(
  node: Node,
  topic: string,
  wrap: (publish: (m: unknown) => void) => (m: unknown) => void,
): Node {
  return new Proxy(node, {
    get(target, prop) {
      if (prop === "createPublisher") {
        return (type: string, t: string, options?: PublisherOptions) => {
          const pub = target.createPublisher(type, t, options);
          if (target.resolveTopicName(t) !== topic) return pub;
          const publish = wrap((m) => pub.publish(m as never));
          return { ...pub, topic: pub.topic, publish, subscriptionCount: () => pub.subscriptionCount() };
        };
      }
      const v: unknown = Reflect.get(target, prop);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/**
 * Waits for an event. The limit only names what never came before vitest's own timeout: it is no timing
 * figure. policyNode returns before the worker loop has loaded its modules (two worker threads through tsx),
 * which took more than the 5 s this limit once was at load 12, so every worker-loop case failed there.
 */
async function waitFor(what: string, pred: () => boolean, timeoutMs = 50_000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe("policy node (embedded runtime)", () => {
  let ctx: EmbeddedContext | undefined;
  let handle: PolicyNodeHandle | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    if (handle?.close) await handle.close();
    ctx?.shutdown();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  // Worker loop: spin only the last 0.5 ms of each 20 ms slot, not the whole period (a shared test machine).
  function setup(
    params: Record<string, string | number | boolean>,
    action = 0.4,
    weight?: readonly number[],
  ) {
    const dir = mkdtempSync(join(tmpdir(), "tether-policy-node-"));
    dirs.push(dir);
    writeConstantPolicy(dir, action, "pendulum", weight);
    ctx = createEmbeddedContext({ logSink: () => {} });
    const robotNode = ctx.createNode("fake_robot");
    const state = { velocity: 0 };
    const jsPub = robotNode.createPublisher("sensor_msgs/msg/JointState", "/joint_states");
    robotNode.createTimer(10, () => {
      jsPub.publish({
        header: { stamp: timeFromSeconds(robotNode.getClock().nowSeconds()), frame_id: "" },
        name: ["pendulum_joint"],
        position: [0.1],
        velocity: [state.velocity],
        effort: [0],
      });
    });
    const commands: number[] = [];
    const diagnostics: DiagnosticArray[] = [];
    const listener = ctx.createNode("listener");
    listener.createSubscription(
      "std_msgs/msg/Float64MultiArray",
      "/forward_effort_controller/commands",
      {},
      (m: Float64MultiArray) => {
        commands.push(m.data[0]);
      },
    );
    listener.createSubscription(
      "diagnostic_msgs/msg/DiagnosticArray",
      "/diagnostics",
      {},
      (m: DiagnosticArray) => diagnostics.push(m),
    );
    const reset = listener.createClient("std_srvs/srv/Trigger", "/policy/reset_estop");
    const node = ctx.createNode("policy", {
      parameters: { robot: "pendulum", model: dir, loop_spin_ms: 0.5, ...params },
    });
    return { node, state, commands, diagnostics, reset };
  }

  it.each(["worker", "timer"])(
    "%s loop: publishes shielded commands; an e-stop holds zero effort until an explicit reset",
    async (loop) => {
      const s = setup({ max_delta: 0.25, fallback: "none", loop });
      handle = await policyNode(s.node);
      // policy 0.4 normalized; box 0.6 + 10% margin; rate 0.25/tick: 0 -> 0.25 -> 0.4 normalized = 0.8 N·m
      await waitFor("commands", () => s.commands.length >= 5);
      // rate limit 0.25 normalized = 0.5 N·m per tick, starting from zero effort
      expect(s.commands[0]).toBeLessThanOrEqual(0.5 + 1e-9);
      for (let i = 1; i < s.commands.length; i++) {
        expect(Math.abs(s.commands[i] - s.commands[i - 1])).toBeLessThanOrEqual(0.5 + 1e-9);
      }
      expect(s.commands[s.commands.length - 1]).toBeCloseTo(0.8);
      for (const c of s.commands) expect(Math.abs(c)).toBeLessThanOrEqual(2);

      s.state.velocity = 20; // beyond the 15 rad/s limit
      await waitFor("e-stop", () => handle!.stats().estop);
      await waitFor("e-stop diagnostics", () =>
        s.diagnostics.some((d) => d.status.some((st) => st.name === "tether/safety/estop" && st.level === 2)),
      );
      s.state.velocity = 0;
      const n = s.commands.length;
      await waitFor("more commands", () => s.commands.length >= n + 5);
      expect(s.commands.slice(n)).toEqual(new Array(s.commands.length - n).fill(0));
      expect(handle.stats().estop).toBe(true);

      const answer = await s.reset.call({});
      expect(answer.success).toBe(true);
      expect(answer.message).toMatch(/^e-stop cleared \(it tripped on: .*velocity/);
      await waitFor("policy again", () => !handle!.stats().estop && s.commands[s.commands.length - 1] > 0.7);
      expect(
        handle.runLog.entries.some(
          (e) => e.kind === "estop" && !e.engaged && e.by === "service /policy/reset_estop",
        ),
      ).toBe(true);
      // Nothing latched now: the service says so and changes nothing.
      expect(await s.reset.call({})).toEqual({ success: true, message: "no e-stop was latched" });
      expect(handle.loop).toBe(loop);
    },
  );

  it("in shadow mode ticks and reports but never publishes a command", async () => {
    const s = setup({ shadow: true });
    handle = await policyNode(s.node);
    await waitFor("ticks", () => handle!.stats().ticks >= 5);
    expect(s.commands).toHaveLength(0);
    expect(handle.stats().published).toBe(0);
    expect(
      ctx!.graph().topics.find((t) => t.name === "/forward_effort_controller/commands")?.publishers ?? [],
    ).toHaveLength(0);
  });

  it.each([
    ["timer", /^\/policy: timer tick \(20 ms\) threw: transport down$/],
    ["worker", /^\/policy: command publish threw: transport down$/],
  ] as const)(
    "%s loop: a throw in the tick outside the policy call latches the e-stop, reports on /diagnostics and in the run log",
    async (loop, message) => {
      const s = setup({ max_delta: 0.25, fallback: "none", loop });
      const failures: unknown[] = [];
      ctx!.errors$.subscribe((f) => failures.push(f));
      // Fault injection: the command publisher throws once, on the policy's third command (inside the timer
      // tick). Counted by effort, not by send: a loaded machine's worker loop first holds zero effort on the
      // ticks whose policy answer came late, a number that depends on scheduling.
      const before: number[] = [];
      let thrown = false;
      const faulty = withPublisher(s.node, "/forward_effort_controller/commands", (publish) => (m) => {
        const effort = (m as Float64MultiArray).data[0];
        if (!thrown && effort > 0 && before.filter((c) => c > 0).length === 2) {
          thrown = true;
          throw new Error("transport down");
        }
        if (!thrown) before.push(effort);
        publish(m);
      });
      handle = await policyNode(faulty);
      await waitFor("e-stop", () => handle!.stats().estop);
      const n = s.commands.length;
      await waitFor("more commands", () => s.commands.length >= n + 3);
      // Before: the policy ramping up; from the fault on: zero effort, starting with the fault handler's own.
      expect(s.commands.slice(0, before.length)).toEqual(before);
      expect(before.filter((c) => c > 0)).toHaveLength(2);
      expect(s.commands.slice(before.length)).toEqual(new Array(s.commands.length - before.length).fill(0));
      expect(handle.stats().faults).toBe(1);
      const status = s.diagnostics.flatMap((d) => d.status);
      const fault = status.find((st) => st.name === "tether/safety/node_callback");
      expect(fault?.level).toBe(2);
      expect(fault?.message).toMatch(message);
      expect(
        status.some(
          (st) => st.name === "tether/safety/estop" && st.values.some((v) => v.value === "node_callback"),
        ),
      ).toBe(true);
      const entries = handle.runLog.entries;
      expect(entries.some((e) => e.kind === "event" && e.event.monitor === "node_callback")).toBe(true);
      expect(entries.some((e) => e.kind === "estop" && e.engaged && e.by === "node_callback")).toBe(true);
      expect(failures).toEqual([]);
    },
  );

  it("the worker loop publishes the same commands as the timer loop for the same state stream", async () => {
    // A policy of the state (0.5 cos + 0.3 sin - 0.1) under a 0.1 rate limit: a ramp over several ticks.
    // A tick whose policy answer came late holds the last command (a loaded machine's worker loop holds the
    // initial zero, then repeats values), so the loops are compared by the values their commands step
    // through from zero effort: the worker's, once it has stepped as often, are the timer loop's.
    const steps = (commands: number[]): number[] =>
      [0, ...commands].filter((c, i, all) => i === 0 || c !== all[i - 1]);
    const run = async (loop: string, done: (commands: number[]) => boolean): Promise<number[]> => {
      const s = setup({ max_delta: 0.1, fallback: "none", loop }, -0.1, [0.5, 0.3, 0]);
      handle = await policyNode(s.node);
      await waitFor("commands", () => done(s.commands));
      const commands = s.commands.slice();
      await handle.close!();
      handle = undefined;
      ctx!.shutdown();
      ctx = undefined;
      return steps(commands);
    };
    const timer = await run("timer", (c) => c.length >= 8);
    const worker = await run("worker", (c) => steps(c).length >= timer.length);
    expect(timer[1]).toBeGreaterThan(0);
    expect(timer.length).toBeGreaterThan(3);
    expect(timer[timer.length - 1]).toBeGreaterThan(timer[1]);
    expect(worker.slice(0, timer.length)).toEqual(timer);
  });

  it("worker loop: a policy that hangs gets the fallback at the deadline, and the policy again once it answers", async () => {
    const s = setup({ max_delta: 0.25, fallback: "auto", loop: "worker", policy_timeout_ms: 5 });
    const gate = new Int32Array(new SharedArrayBuffer(4));
    handle = await startPolicyNode(s.node, {
      policyModule: new URL("./fixtures/gated-policy.ts", import.meta.url).href,
      policyOptions: { gate, value: 0.4 },
    });
    await waitFor("policy commands", () => (handle!.stats().bySource.policy ?? 0) >= 3);
    Atomics.store(gate, 0, 1); // every call from now on hangs
    await waitFor("fallback", () => (handle!.stats().bySource.fallback ?? 0) >= 5);
    const published = handle.stats().published;
    await waitFor("commands meanwhile", () => handle!.stats().published >= published + 3);
    expect(handle.stats().estop).toBe(false);
    expect(
      handle.runLog.entries.some((e) => e.kind === "event" && e.event.monitor === "control_deadline"),
    ).toBe(true);
    expect(
      handle.runLog.entries.some((e) => e.kind === "source" && e.from === "policy" && e.to === "fallback"),
    ).toBe(true);
    Atomics.store(gate, 0, 0);
    Atomics.notify(gate, 0);
    const policyTicks = handle.stats().bySource.policy ?? 0;
    await waitFor("policy again", () => (handle!.stats().bySource.policy ?? 0) >= policyTicks + 3);
  });

  it("worker loop: a throw in the loop's tick latches the e-stop, is reported, and clears only on reset", async () => {
    const s = setup({ max_delta: 0.25, fallback: "none", loop: "worker" });
    handle = await startPolicyNode(s.node, { throwAtTick: 5 });
    await waitFor("e-stop", () => handle!.stats().estop);
    expect(handle.stats().faults).toBe(1);
    await waitFor("fault diagnostics", () =>
      s.diagnostics.some((d) => d.status.some((st) => st.name === "tether/safety/node_callback")),
    );
    const fault = s.diagnostics
      .flatMap((d) => d.status)
      .find((st) => st.name === "tether/safety/node_callback");
    expect(fault?.level).toBe(2);
    expect(fault?.message).toBe("node /policy: real-time loop tick threw: injected fault at tick 5");
    const entries = handle.runLog.entries;
    expect(entries.some((e) => e.kind === "estop" && e.engaged && e.by === "node_callback")).toBe(true);
    const n = s.commands.length;
    await waitFor("more commands", () => s.commands.length >= n + 3);
    expect(s.commands.slice(n)).toEqual(new Array(s.commands.length - n).fill(0));
    expect((await s.reset.call({})).message).toMatch(/^e-stop cleared \(it tripped on: .*injected fault/);
    await waitFor("policy again", () => !handle!.stats().estop && s.commands[s.commands.length - 1] > 0.7);
  });

  it("loop auto is the worker loop, except under sim time (the worker cannot follow /clock)", async () => {
    handle = await policyNode(setup({}).node);
    expect(handle.loop).toBe("worker");
    await handle.close();
    handle = undefined;
    ctx!.shutdown();
    const s = setup({ use_sim_time: true });
    handle = await policyNode(s.node);
    expect(handle.loop).toBe("timer");
    await expect(
      policyNode(
        ctx!.createNode("policy2", {
          parameters: { robot: "pendulum", model: "x", use_sim_time: true, loop: "worker" },
        }),
      ),
    ).rejects.toThrow(/loop: the worker loop runs on the wall clock; use_sim_time needs loop timer/);
  });

  it("worker loop with policy_spin_ms: the policy, busy-waiting for each request, drives the commands", async () => {
    const s = setup({ max_delta: 0.25, fallback: "none", loop: "worker", policy_spin_ms: 2 });
    handle = await policyNode(s.node);
    // Five policy ticks are waited for, not counted after five commands: a tick whose answer came late holds.
    await waitFor(
      "policy commands",
      () => (handle!.stats().bySource.policy ?? 0) >= 5 && s.commands[s.commands.length - 1] > 0.7,
    );
    expect(s.commands[s.commands.length - 1]).toBeCloseTo(0.8);
    await expect(
      policyNode(
        ctx!.createNode("policy2", { parameters: { robot: "pendulum", model: "x", policy_spin_ms: -1 } }),
      ),
    ).rejects.toThrow(/policy_spin_ms: must be >= 0/);
  });

  it("worker loop with policy_prewake_ms: the pre-woken policy drives the commands, one traced hand-over per policy tick", async () => {
    const s = setup({ max_delta: 0.25, fallback: "none", loop: "worker", policy_prewake_ms: 1 });
    const trace = createPolicyTrace(4096);
    handle = await startPolicyNode(s.node, { policyTrace: trace });
    await waitFor(
      "policy commands",
      () => (handle!.stats().bySource.policy ?? 0) >= 5 && s.commands[s.commands.length - 1] > 0.7,
    );
    expect(s.commands[s.commands.length - 1]).toBeCloseTo(0.8);
    await handle.close();
    const { ticks, bySource } = handle.stats();
    expect(bySource.policy).toBeGreaterThanOrEqual(5);
    // Each policy tick's answer came from its own hand-over, stamped in order (a tick that held or fell
    // back may have asked the policy too); at most one hand-over per tick, none after the last.
    const { requests } = summarizePolicyTrace(trace);
    expect(requests).toBeGreaterThanOrEqual(bySource.policy);
    expect(requests).toBeLessThanOrEqual(ticks);
    expect(trace[(ticks + 1) * TRACE_FIELDS + TRACE.handed]).toBe(0);
    handle = undefined;
    await expect(
      policyNode(
        ctx!.createNode("policy2", {
          parameters: { robot: "pendulum", model: "x", policy_prewake_ms: -0.5 },
        }),
      ),
    ).rejects.toThrow(/policy_prewake_ms: must be >= 0/);
  });

  it("rejects a package trained for another robot, naming the file and field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tether-policy-node-"));
    dirs.push(dir);
    writeConstantPolicy(dir, 0, "reacher2");
    ctx = createEmbeddedContext({ logSink: () => {} });
    const node = ctx.createNode("policy", { parameters: { robot: "pendulum", model: dir } });
    await expect(policyNode(node)).rejects.toThrow(ConfigError);
    await expect(
      policyNode(ctx.createNode("policy2", { parameters: { robot: "pendulum", model: dir } })),
    ).rejects.toThrow(/policy.json: robot: package was trained for robot "reacher2", not "pendulum"/);
  });

  it("rejects target_return for a package that is no decision transformer, and accepts it unset", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tether-policy-node-"));
    dirs.push(dir);
    writeConstantPolicy(dir, 0.25);
    ctx = createEmbeddedContext({ logSink: () => {} });
    const node = ctx.createNode("policy", {
      parameters: { robot: "pendulum", model: dir, loop: "timer", target_return: -150 },
    });
    await expect(policyNode(node)).rejects.toThrow(
      /node \/policy: target_return: only a decision-transformer package is conditioned on a return/,
    );
    const ok = ctx.createNode("policy2", { parameters: { robot: "pendulum", model: dir, loop: "timer" } });
    const h = await policyNode(ok);
    expect(ok.getParameter("target_return")).toBe(0);
    await h.close();
  });
});
