import { afterEach, describe, expect, it } from "vitest";
import { createEmbeddedContext, type EmbeddedContext } from "../../../src/ros/embedded/context.js";
import { timeFromSeconds } from "../../../src/msgs/time.js";
import { LATCHED_QOS } from "../../../src/ros/node.js";

let ctx: EmbeddedContext;
afterEach(() => ctx.shutdown());

function clockPublisher(c: EmbeddedContext) {
  const sim = c.createNode("sim");
  const pub = sim.createPublisher("rosgraph_msgs/msg/Clock", "/clock");
  return (seconds: number) => {
    pub.publish({ clock: timeFromSeconds(seconds) });
    c.spinSome();
  };
}

describe("clock and timers", () => {
  it("follows /clock when use_sim_time is true (0 before the first message)", () => {
    ctx = createEmbeddedContext({ logSink: () => {} });
    const tick = clockPublisher(ctx);
    const n = ctx.createNode("n", { parameters: { use_sim_time: true } });
    expect(n.getClock().useSimTime).toBe(true);
    expect(n.now()).toEqual({ sec: 0, nanosec: 0 });
    tick(12.25);
    expect(n.now()).toEqual({ sec: 12, nanosec: 250_000_000 });
    expect(n.getClock().nowSeconds()).toBeCloseTo(12.25, 9);
  });

  it("uses the wall clock without sim time, and switches when use_sim_time is set", () => {
    let wall = 5e9;
    ctx = createEmbeddedContext({ logSink: () => {}, wallNanos: () => wall });
    const tick = clockPublisher(ctx);
    const n = ctx.createNode("n");
    expect(n.getParameter("use_sim_time")).toBe(false);
    expect(n.now()).toEqual({ sec: 5, nanosec: 0 });
    wall = 6.5e9;
    expect(n.getClock().nowSeconds()).toBeCloseTo(6.5, 9);
    n.setParameter("use_sim_time", true);
    tick(1);
    expect(n.now()).toEqual({ sec: 1, nanosec: 0 });
    n.setParameter("use_sim_time", false);
    expect(n.now()).toEqual({ sec: 6, nanosec: 500_000_000 });
  });

  it("fires sim-time timers once per elapsed period, skipping missed periods, resetting on a backwards jump", () => {
    ctx = createEmbeddedContext({ logSink: () => {} });
    const tick = clockPublisher(ctx);
    const n = ctx.createNode("n", { useSimTime: true });
    const fired: number[] = [];
    n.createTimer(20, () => fired.push(n.getClock().nowSeconds()));
    tick(0); // starts the timer: first due at 0.02
    for (let k = 1; k <= 5; k++) tick(k * 0.01);
    expect(fired.map((t) => +t.toFixed(3))).toEqual([0.02, 0.04]);
    tick(1.0); // a long jump fires once
    tick(1.005);
    expect(fired.length).toBe(3);
    tick(0.5); // backwards: re-arm at 0.52
    tick(0.51);
    tick(0.52);
    expect(fired.map((t) => +t.toFixed(3)).slice(3)).toEqual([0.52]);
  });

  it("runs wall timers and cancels them", async () => {
    ctx = createEmbeddedContext({ logSink: () => {} });
    const n = ctx.createNode("n");
    let count = 0;
    const t = n.createTimer(1, () => count++);
    await new Promise((r) => setTimeout(r, 30));
    t.cancel();
    const after = count;
    expect(after).toBeGreaterThan(0);
    expect(t.isCanceled()).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(count).toBe(after);
  });

  it("delivers latched state to a late node (parameters + QoS presets together)", () => {
    ctx = createEmbeddedContext({ logSink: () => {} });
    const a = ctx.createNode("a", { parameters: { topic: "/desc" } });
    const topic = a.declareParameter("topic", "/default");
    a.createPublisher("std_msgs/msg/String", topic, { qos: LATCHED_QOS }).publish({ data: "urdf" });
    const b = ctx.createNode("b");
    const got: string[] = [];
    b.createSubscription("std_msgs/msg/String", "/desc", { qos: LATCHED_QOS }, (m) => got.push(m.data));
    ctx.spinSome();
    expect(got).toEqual(["urdf"]);
  });
});
