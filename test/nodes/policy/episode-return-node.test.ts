/**
 * The episode return the policy node hands its return-collapse monitor is the return MujocoEnv scores for
 * the same episode (each step's reward over the state after it, as in the datasets). The test owns a real
 * MuJoCo pendulum and the sim clock: each tick it publishes the state and /clock one period on, the node's
 * timer ticks once and commands, and the test applies that command to the sim, as the lock-step sim robot
 * does. With return_window 1 and an unreachable baseline, every episode's return comes out as a
 * return_collapse event whose `observed` is that return.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Float64MultiArray } from "../../../src/msgs/types.js";
import { timeFromSeconds } from "../../../src/msgs/time.js";
import { policyNode, type PolicyNodeHandle } from "../../../src/nodes/policy/policy-node.js";
import { createEmbeddedContext, type EmbeddedContext } from "../../../src/ros/embedded/context.js";
import { CLOCK_QOS, LATCHED_QOS } from "../../../src/ros/node.js";
import { MujocoEnv } from "../../../src/sim/mujoco-env.js";
import { writeLinearPendulumPolicy } from "../../fixtures/linear-pendulum-policy.js";

const COMMANDS = "/forward_effort_controller/commands";

/** A pendulum policy that lifts it off the bottom and damps the swing (normalized: 0.4 + 0.5 sin θ - 0.2 ω). */
function writeSwingPolicy(dir: string): void {
  writeLinearPendulumPolicy(dir, { bias: 0.4, weight: [0, 0.5, -0.2], support: [-1, -0.5, 0, 0.5, 1] });
}

describe("policy node: the episode return of the return-collapse monitor", () => {
  let ctx: EmbeddedContext | undefined;
  let handle: PolicyNodeHandle | undefined;
  let env: MujocoEnv | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await handle?.close();
    ctx?.shutdown();
    env?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    handle = undefined;
    ctx = undefined;
    env = undefined;
    dir = undefined;
  });

  it("timer loop on a real MuJoCo pendulum: each episode's return equals the sim's within 1e-9", async () => {
    dir = mkdtempSync(join(tmpdir(), "tether-episode-return-"));
    writeSwingPolicy(dir);
    env = await MujocoEnv.create("pendulum", { seed: 0 });
    const sim = env;
    const layout = sim.task.layout;
    ctx = createEmbeddedContext({ logSink: () => {} });
    const robot = ctx.createNode("test_robot");
    const js = robot.createPublisher("sensor_msgs/msg/JointState", "/joint_states");
    const clock = robot.createPublisher("rosgraph_msgs/msg/Clock", "/clock", { qos: CLOCK_QOS });
    const mark = robot.createPublisher("std_msgs/msg/Int32", "/episode", { qos: LATCHED_QOS });
    const commands: number[][] = [];
    ctx
      .createNode("listener")
      .createSubscription("std_msgs/msg/Float64MultiArray", COMMANDS, {}, (m: Float64MultiArray) =>
        commands.push(Array.from(m.data)),
      );
    handle = await policyNode(
      ctx.createNode("policy", {
        parameters: {
          robot: "pendulum",
          model: dir,
          loop: "timer",
          use_sim_time: true,
          fallback: "none",
          return_window: 1,
          return_baseline: 1e6,
          return_max_drop: 0,
        },
      }),
    );
    const periodS = 1 / 50; // robots/pendulum/robot.yaml control.rate_hz
    let k = 0;
    const publishState = (t: number): void => {
      const s = sim.signals();
      js.publish({
        header: { stamp: timeFromSeconds(t), frame_id: "" },
        name: ["pendulum_joint"],
        position: [s[layout.position]],
        velocity: [s[layout.velocity]],
        effort: [s[layout.effort]],
      });
    };
    /** The state and /clock one period on: the node ticks once on that state and commands. */
    const tick = (): number[] => {
      k++;
      const t = 100 + k * periodS;
      publishState(t);
      const before = commands.length;
      clock.publish({ clock: timeFromSeconds(t) });
      ctx!.spinSome();
      expect(commands.length, `one command at tick ${k}`).toBe(before + 1);
      return commands[commands.length - 1];
    };

    mark.publish({ data: 0 });
    sim.reset(5);
    publishState(100);
    clock.publish({ clock: timeFromSeconds(100) });
    ctx.spinSome(); // starts the node's sim-time timer: due one period on
    const simReturns: number[] = [];
    // Episode 0 ends as under the lock-step sim robot: the node ticks on the final state, and that command
    // is never applied (the sim resets). Episode 1 ends as it may in real time: the final state arrives
    // between ticks, then the episode mark.
    for (const episode of [0, 1]) {
      let simReturn = 0;
      for (;;) {
        const r = sim.stepActuators(tick());
        simReturn += r.reward;
        if (r.terminated || r.truncated) break;
      }
      simReturns.push(simReturn);
      if (episode === 0) tick();
      else {
        publishState(100 + (k + 0.5) * periodS);
        ctx.spinSome();
      }
      mark.publish({ data: episode + 1 });
      ctx.spinSome();
      sim.reset(6 + episode);
    }
    tick(); // the last episode's event joins this tick

    const estop = handle.runLog.entries.find((e) => e.kind === "estop");
    expect(estop, JSON.stringify(estop)).toBeUndefined();
    const returns = handle.runLog.entries.flatMap((e) =>
      e.kind === "event" && e.event.monitor === "return_collapse" ? [e.event.observed] : [],
    );
    expect(returns).toHaveLength(2);
    for (let i = 0; i < 2; i++)
      expect(
        Math.abs(returns[i] - simReturns[i]),
        `episode ${i}: ${returns[i]} vs ${simReturns[i]}`,
      ).toBeLessThanOrEqual(1e-9);
  }, 120_000);
});
