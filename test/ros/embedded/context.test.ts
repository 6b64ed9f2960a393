import { afterEach, describe, expect, it } from "vitest";
import { createEmbeddedContext, type EmbeddedContext } from "../../../src/ros/embedded/context.js";
import { MessageShapeError } from "../../../src/msgs/validate.js";
import { NodeError, TopicError } from "../../../src/ros/node.js";
import type { LogRecord } from "../../../src/ros/logger.js";
import type { Int32Msg } from "../../../src/msgs/types.js";

let ctx: EmbeddedContext;
let logs: LogRecord[];
const make = (): EmbeddedContext => {
  logs = [];
  ctx = createEmbeddedContext({ logSink: (r) => logs.push(r) });
  return ctx;
};
afterEach(() => ctx.shutdown());

const int = (data: number): Int32Msg => ({ data });

describe("embedded runtime: delivery and QoS", () => {
  it("delivers published messages to subscribers in order, via callback and observable$", async () => {
    make();
    const a = ctx.createNode("a");
    const b = ctx.createNode("b");
    const got: number[] = [];
    const seen$: number[] = [];
    const sub = b.createSubscription("std_msgs/msg/Int32", "/n", {}, (m) => got.push(m.data));
    sub.observable$.subscribe((m) => seen$.push(m.data));
    const pub = a.createPublisher("std_msgs/msg/Int32", "/n");
    expect(pub.subscriptionCount()).toBe(1);
    expect(sub.publisherCount()).toBe(1);
    for (let i = 0; i < 5; i++) pub.publish(int(i));
    expect(got).toEqual([]); // delivery happens on the executor, not inside publish()
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(seen$).toEqual([0, 1, 2, 3, 4]);
  });

  it("keeps only the last `depth` undelivered messages per subscription", () => {
    make();
    const n = ctx.createNode("n");
    const shallow: number[] = [];
    const deep: number[] = [];
    n.createSubscription("std_msgs/msg/Int32", "/burst", { qos: { depth: 3 } }, (m) => shallow.push(m.data));
    n.createSubscription("std_msgs/msg/Int32", "/burst", { qos: { depth: 100 } }, (m) => deep.push(m.data));
    const pub = n.createPublisher("std_msgs/msg/Int32", "/burst");
    for (let i = 0; i < 10; i++) pub.publish(int(i));
    ctx.spinSome();
    expect(shallow).toEqual([7, 8, 9]);
    expect(deep).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("does not connect a reliable subscription to a best-effort publisher, and warns both", () => {
    make();
    const n = ctx.createNode("n");
    const reliable: number[] = [];
    const bestEffort: number[] = [];
    const s1 = n.createSubscription("std_msgs/msg/Int32", "/x", { qos: { reliability: "reliable" } }, (m) =>
      reliable.push(m.data),
    );
    n.createSubscription("std_msgs/msg/Int32", "/x", { qos: { reliability: "best_effort" } }, (m) =>
      bestEffort.push(m.data),
    );
    const pub = n.createPublisher("std_msgs/msg/Int32", "/x", { qos: { reliability: "best_effort" } });
    pub.publish(int(1));
    ctx.spinSome();
    expect(reliable).toEqual([]);
    expect(bestEffort).toEqual([1]);
    expect(s1.publisherCount()).toBe(0);
    expect(
      logs.some(
        (l) => l.level === "warn" && /requests RELIABLE but the publisher offers BEST_EFFORT/.test(l.message),
      ),
    ).toBe(true);
  });

  it("a best-effort subscription receives from a reliable publisher", () => {
    make();
    const n = ctx.createNode("n");
    const got: number[] = [];
    n.createSubscription("std_msgs/msg/Int32", "/x", { qos: { reliability: "best_effort" } }, (m) =>
      got.push(m.data),
    );
    n.createPublisher("std_msgs/msg/Int32", "/x").publish(int(4));
    ctx.spinSome();
    expect(got).toEqual([4]);
  });

  it("latches the last `depth` messages of a transient-local publisher for late transient-local subscribers only", () => {
    make();
    const n = ctx.createNode("n");
    const pub = n.createPublisher("std_msgs/msg/Int32", "/episode", {
      qos: { depth: 2, durability: "transient_local" },
    });
    for (let i = 0; i < 5; i++) pub.publish(int(i));
    ctx.spinSome();
    const late: number[] = [];
    const volatileLate: number[] = [];
    n.createSubscription(
      "std_msgs/msg/Int32",
      "/episode",
      { qos: { depth: 10, durability: "transient_local" } },
      (m) => late.push(m.data),
    );
    n.createSubscription("std_msgs/msg/Int32", "/episode", { qos: { durability: "volatile" } }, (m) =>
      volatileLate.push(m.data),
    );
    ctx.spinSome();
    expect(late).toEqual([3, 4]);
    expect(volatileLate).toEqual([]);
    pub.publish(int(5));
    ctx.spinSome();
    expect(late).toEqual([3, 4, 5]);
    expect(volatileLate).toEqual([5]);
  });

  it("does not connect a transient-local subscription to a volatile publisher", () => {
    make();
    const n = ctx.createNode("n");
    const got: number[] = [];
    n.createSubscription("std_msgs/msg/Int32", "/t", { qos: { durability: "transient_local" } }, (m) =>
      got.push(m.data),
    );
    n.createPublisher("std_msgs/msg/Int32", "/t").publish(int(1));
    ctx.spinSome();
    expect(got).toEqual([]);
    expect(
      logs.some((l) => /requests TRANSIENT_LOCAL but the publisher offers VOLATILE/.test(l.message)),
    ).toBe(true);
  });

  it("rejects invalid QoS at creation", () => {
    make();
    const n = ctx.createNode("n");
    expect(() => n.createPublisher("std_msgs/msg/Int32", "/q", { qos: { depth: 0 } })).toThrow(
      /depth must be an integer >= 1/,
    );
  });
});

describe("embedded runtime: types, shapes and errors", () => {
  it("keeps one type per topic and names the topic and both types on mismatch", () => {
    make();
    const a = ctx.createNode("a");
    const b = ctx.createNode("b");
    a.createPublisher("sensor_msgs/msg/JointState", "/joint_states");
    expect(() =>
      b.createSubscription("std_msgs/msg/Float64MultiArray", "/joint_states", {}, () => {}),
    ).toThrow(TopicError);
    expect(() => b.createPublisher("std_msgs/msg/String", "joint_states")).toThrow(
      /topic \/joint_states: publisher of \/b uses type std_msgs\/msg\/String, but the topic already carries sensor_msgs\/msg\/JointState \(used by \/a\)/,
    );
  });

  it("frees a topic's type when its last endpoint goes", () => {
    make();
    const a = ctx.createNode("a");
    a.createPublisher("std_msgs/msg/Int32", "/t");
    a.destroy();
    const b = ctx.createNode("b");
    expect(() => b.createPublisher("std_msgs/msg/String", "/t")).not.toThrow();
  });

  it("rejects a message of the wrong shape at the publisher", () => {
    make();
    const n = ctx.createNode("n");
    const pub = n.createPublisher("sensor_msgs/msg/JointState", "/joint_states");
    expect(() => pub.publish({ name: ["a"], position: ["x"] } as never)).toThrow(MessageShapeError);
    expect(() => pub.publish({ name: ["a"], positions: [1] } as never)).toThrow(
      /\/joint_states: .*unknown field "positions"/,
    );
  });

  it("fills missing fields with ROS defaults before delivery", () => {
    make();
    const n = ctx.createNode("n");
    const got: unknown[] = [];
    n.createSubscription("std_msgs/msg/Float64MultiArray", "/cmd", {}, (m) => got.push(m));
    n.createPublisher("std_msgs/msg/Float64MultiArray", "/cmd").publish({ data: [1, 2] });
    ctx.spinSome();
    expect(got).toEqual([{ layout: { dim: [], data_offset: 0 }, data: [1, 2] }]);
  });

  it("logs a throwing callback, reports it on errors$, and keeps delivering", () => {
    make();
    const n = ctx.createNode("n");
    const failures: string[] = [];
    ctx.errors$.subscribe((f) => failures.push(`${f.node} ${f.where}`));
    const got: number[] = [];
    n.createSubscription("std_msgs/msg/Int32", "/t", {}, (m) => {
      if (m.data === 1) throw new Error("boom");
      got.push(m.data);
    });
    const pub = n.createPublisher("std_msgs/msg/Int32", "/t");
    [0, 1, 2].forEach((i) => pub.publish(int(i)));
    ctx.spinSome();
    expect(got).toEqual([0, 2]);
    expect(failures).toEqual(["/n subscription callback on /t"]);
    expect(logs.some((l) => l.level === "error" && /threw: boom/.test(l.message))).toBe(true);
  });

  it("rejects duplicate node names and use after destroy", () => {
    make();
    const n = ctx.createNode("n", { namespace: "arm" });
    expect(() => ctx.createNode("n", { namespace: "/arm" })).toThrow(NodeError);
    n.destroy();
    expect(() => n.createPublisher("std_msgs/msg/Int32", "/t")).toThrow(/destroyed/);
    expect(() => ctx.createNode("n", { namespace: "/arm" })).not.toThrow();
  });
});

describe("embedded runtime: namespaces, remaps and graph", () => {
  it("resolves relative, private and remapped topics per node", () => {
    make();
    const n = ctx.createNode("sim", {
      namespace: "/robot1",
      remaps: ["cmd:=/controller/commands", "__node:=sim_robot"],
    });
    expect(n.name()).toBe("sim_robot");
    expect(n.fullyQualifiedName()).toBe("/robot1/sim_robot");
    const a = n.createPublisher("std_msgs/msg/Int32", "joint_states");
    const b = n.createPublisher("std_msgs/msg/Int32", "~/status");
    const c = n.createPublisher("std_msgs/msg/Int32", "cmd");
    expect([a.topic, b.topic, c.topic]).toEqual([
      "/robot1/joint_states",
      "/robot1/sim_robot/status",
      "/controller/commands",
    ]);
  });

  it("connects nodes in different namespaces only through matching resolved names", () => {
    make();
    const pubNode = ctx.createNode("p", { namespace: "/r1" });
    const subNode = ctx.createNode("s", { namespace: "/r2", remaps: [{ from: "state", to: "/r1/state" }] });
    const got: number[] = [];
    subNode.createSubscription("std_msgs/msg/Int32", "state", {}, (m) => got.push(m.data));
    pubNode.createPublisher("std_msgs/msg/Int32", "state").publish(int(9));
    ctx.spinSome();
    expect(got).toEqual([9]);
  });

  it("lists nodes and topics with types, endpoints and counts", () => {
    make();
    const a = ctx.createNode("talker", { namespace: "demo" });
    const b = ctx.createNode("listener");
    b.createSubscription("std_msgs/msg/String", "/demo/chatter", {}, () => {});
    const pub = a.createPublisher("std_msgs/msg/String", "chatter");
    pub.publish({ data: "hi" });
    const g = ctx.graph();
    expect(g.nodes.map((n) => n.fullName)).toEqual(["/demo/talker", "/listener"]);
    expect(g.topics).toHaveLength(1);
    expect(g.topics[0]).toMatchObject({ name: "/demo/chatter", type: "std_msgs/msg/String", published: 1 });
    expect(g.topics[0].publishers.map((p) => p.node)).toEqual(["/demo/talker"]);
    expect(g.topics[0].subscriptions.map((p) => p.node)).toEqual(["/listener"]);
  });
});
