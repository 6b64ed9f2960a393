import { afterEach, describe, expect, it } from "vitest";
import {
  createEmbeddedContext,
  type EmbeddedContext,
  type NodeFailure,
} from "../../src/ros/embedded/context.js";
import { guardCallbacks, type CallbackFault } from "../../src/ros/callback-guard.js";
import type { Int32Msg } from "../../src/msgs/types.js";

const int = (data: number): Int32Msg => ({ data });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("guardCallbacks (embedded runtime)", () => {
  let ctx: EmbeddedContext;
  let failures: NodeFailure[];
  afterEach(() => ctx.shutdown());

  function make(): void {
    ctx = createEmbeddedContext({ logSink: () => {} });
    failures = [];
    ctx.errors$.subscribe((f) => failures.push(f));
  }

  it("hands a throwing subscription callback to onFault, naming node, topic and function, and keeps delivering", () => {
    make();
    const faults: CallbackFault[] = [];
    const n = guardCallbacks(ctx.createNode("n", { namespace: "/arm" }), (f) => faults.push(f));
    const got: number[] = [];
    n.createSubscription("std_msgs/msg/Int32", "/t", {}, function onInt(m) {
      if (m.data === 1) throw new Error("boom");
      got.push(m.data);
    });
    const pub = n.createPublisher("std_msgs/msg/Int32", "/t");
    [0, 1, 2].forEach((i) => pub.publish(int(i)));
    ctx.spinSome();
    expect(got).toEqual([0, 2]);
    expect(faults.map((f) => [f.node, f.callback, (f.error as Error).message])).toEqual([
      ["/arm/n", "subscription /t (onInt)", "boom"],
    ]);
    // Handled at the node edge: the runtime's own log-and-continue path never saw it.
    expect(failures).toEqual([]);
  });

  it("hands a throwing service handler to onFault, naming the service; the call fails, the server stays", async () => {
    make();
    const faults: CallbackFault[] = [];
    const n = guardCallbacks(ctx.createNode("n"), (f) => faults.push(f));
    let calls = 0;
    n.createService("std_srvs/srv/Trigger", "~/reset", function onReset() {
      if (++calls === 1) throw new Error("boom");
      return { success: true, message: "ok" };
    });
    const client = ctx.createNode("c").createClient("std_srvs/srv/Trigger", "/n/reset");
    await expect(client.call({})).rejects.toThrow(/service \/n\/reset failed in \/n/);
    expect(faults.map((f) => [f.node, f.callback, (f.error as Error).message])).toEqual([
      ["/n", "service ~/reset (onReset)", "boom"],
    ]);
    expect(await client.call({})).toEqual({ success: true, message: "ok" });
  });

  it("hands a throwing timer callback to onFault, with its period", async () => {
    make();
    const faults: CallbackFault[] = [];
    const n = guardCallbacks(ctx.createNode("n"), (f) => faults.push(f));
    let calls = 0;
    const timer = n.createTimer(2, function tick() {
      calls++;
      if (calls === 2) throw new RangeError("tick 2");
    });
    while (calls < 3) await sleep(2);
    timer.cancel();
    expect(faults).toHaveLength(1);
    expect(faults[0]).toMatchObject({ node: "/n", callback: "timer tick (2 ms)" });
    expect(faults[0].error).toBeInstanceOf(RangeError);
    expect(failures).toEqual([]);
  });

  it("catches the rejection of an async callback", async () => {
    make();
    const faults: CallbackFault[] = [];
    const n = guardCallbacks(ctx.createNode("n"), (f) => faults.push(f));
    n.createSubscription("std_msgs/msg/Int32", "/t", {}, async () => {
      await sleep(1);
      throw new Error("late");
    });
    n.createPublisher("std_msgs/msg/Int32", "/t").publish(int(0));
    ctx.spinSome();
    while (faults.length === 0) await sleep(1);
    expect(faults[0].callback).toBe("subscription /t");
    expect((faults[0].error as Error).message).toBe("late");
  });

  it("rethrows when the fault handler itself fails, so the runtime reports it", () => {
    make();
    const n = guardCallbacks(ctx.createNode("n"), () => {
      throw new Error("handler broke");
    });
    n.createSubscription("std_msgs/msg/Int32", "/t", {}, () => {
      throw new Error("boom");
    });
    n.createPublisher("std_msgs/msg/Int32", "/t").publish(int(0));
    ctx.spinSome();
    expect(failures.map((f) => (f.error as Error).message)).toEqual(["handler broke"]);
  });

  it("delegates everything else to the node it wraps", () => {
    make();
    const inner = ctx.createNode("n", { namespace: "/ns", parameters: { k: 3 } });
    const n = guardCallbacks(inner, () => {});
    expect(n.fullyQualifiedName()).toBe("/ns/n");
    expect(n.declareParameter("k", 1)).toBe(3);
    expect(n.resolveTopicName("~/x")).toBe("/ns/n/x");
    const got: number[] = [];
    n.createSubscription("std_msgs/msg/Int32", "t", {}, (m) => got.push(m.data));
    inner.createPublisher("std_msgs/msg/Int32", "/ns/t").publish(int(7));
    ctx.spinSome();
    expect(got).toEqual([7]);
  });
});
