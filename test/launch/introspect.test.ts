import { afterEach, describe, expect, it } from "vitest";
import { HzMeter, formatTopicList, observeTopic, toPlain } from "../../src/launch/introspect.js";
import { createEmbeddedContext, type EmbeddedContext } from "../../src/ros/embedded/context.js";

let ctx: EmbeddedContext;
afterEach(() => ctx?.shutdown());

describe("introspection", () => {
  it("HzMeter reports wall and stamp rates and period statistics", () => {
    let t = 0;
    const meter = new HzMeter("/joint_states", () => t);
    for (let i = 0; i < 5; i++) {
      t = i * 0.1; // 10 Hz wall clock
      meter.add({ header: { stamp: { sec: 0, nanosec: i * 20_000_000 } } }, "sensor_msgs/msg/JointState"); // 50 Hz stamps
    }
    const r = meter.report(1);
    expect(r.messages).toBe(5);
    expect(r.rate_hz).toBeCloseTo(10, 9);
    expect(r.stamp_rate_hz).toBeCloseTo(50, 9);
    expect(r.min_period_s).toBeCloseTo(0.1, 9);
    expect(r.std_period_s).toBeCloseTo(0, 9);
    expect(new HzMeter("/x").report(1)).toMatchObject({ messages: 0, rate_hz: null, type: null });
  });

  it("observeTopic attaches once the topic appears and sees every message", async () => {
    ctx = createEmbeddedContext({ logSink: () => {} });
    const observer = ctx.createNode("observer");
    const seen: unknown[] = [];
    const stop = observeTopic(ctx, observer, "/late", (m, type) => seen.push([type, m]));
    const pub = ctx.createNode("talker").createPublisher("std_msgs/msg/Int32", "/late");
    await new Promise((r) => setTimeout(r, 40));
    pub.publish({ data: 3 });
    ctx.spinSome();
    stop();
    pub.publish({ data: 4 });
    ctx.spinSome();
    expect(seen).toEqual([["std_msgs/msg/Int32", { data: 3 }]]);
    expect(formatTopicList(ctx.graph(), false)).toBe("/late [std_msgs/msg/Int32]");
    expect(formatTopicList(ctx.graph(), true)).toContain(
      "subscriber /observer (best_effort, volatile, depth 1000)",
    );
  });

  it("toPlain turns typed arrays and bigints into JSON values", () => {
    expect(toPlain({ a: new Float64Array([1, 2]), b: [3n], c: { d: "x" } })).toEqual({
      a: [1, 2],
      b: [3],
      c: { d: "x" },
    });
  });
});
