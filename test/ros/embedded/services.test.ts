import { afterEach, describe, expect, it } from "vitest";
import { createEmbeddedContext, type EmbeddedContext } from "../../../src/ros/embedded/context.js";
import { NodeError, TopicError } from "../../../src/ros/node.js";
import { MessageTypeError } from "../../../src/msgs/registry.js";

let ctx: EmbeddedContext;
afterEach(() => ctx.shutdown());

describe("embedded runtime: services", () => {
  it("answers a client's request through the server's handler, resolved like a topic name (~, namespace)", async () => {
    ctx = createEmbeddedContext({ logSink: () => {} });
    const server = ctx.createNode("policy", { namespace: "/arm" });
    let calls = 0;
    const service = server.createService("std_srvs/srv/Trigger", "~/reset_estop", () => {
      calls++;
      return { success: true, message: `call ${calls}` };
    });
    expect(service.serviceName).toBe("/arm/policy/reset_estop");
    const client = ctx.createNode("operator").createClient("std_srvs/srv/Trigger", "/arm/policy/reset_estop");
    expect(client.serviceAvailable()).toBe(true);
    const pending = client.call({});
    // As over DDS, the handler never runs inside the caller's stack.
    expect(calls).toBe(0);
    expect(await pending).toEqual({ success: true, message: "call 1" });
    expect(await client.call({})).toEqual({ success: true, message: "call 2" });
  });

  it("rejects a call nobody serves after its timeout, naming the service", async () => {
    ctx = createEmbeddedContext({ logSink: () => {} });
    const client = ctx.createNode("operator").createClient("std_srvs/srv/Trigger", "/nobody");
    expect(client.serviceAvailable()).toBe(false);
    await expect(client.call({}, 30)).rejects.toThrow(NodeError);
    await expect(client.call({}, 30)).rejects.toThrow(
      /service \/nobody \(std_srvs\/srv\/Trigger\): no server answered within 30 ms/,
    );
  });

  it("waits for a server that appears within the timeout; a destroyed node's service is gone", async () => {
    ctx = createEmbeddedContext({ logSink: () => {} });
    const client = ctx.createNode("operator").createClient("std_srvs/srv/Trigger", "/late");
    const answer = client.call({}, 5000);
    const server = ctx.createNode("late_server");
    setTimeout(
      () => server.createService("std_srvs/srv/Trigger", "/late", () => ({ success: false, message: "x" })),
      20,
    );
    expect(await answer).toEqual({ success: false, message: "x" });
    server.destroy();
    expect(client.serviceAvailable()).toBe(false);
  });

  it("reports a throwing handler and rejects the call; a second server on the name is a typed error", async () => {
    const errors: string[] = [];
    ctx = createEmbeddedContext({ logSink: (r) => r.level === "error" && errors.push(r.message) });
    const server = ctx.createNode("s");
    server.createService("std_srvs/srv/Trigger", "/boom", () => {
      throw new Error("handler broke");
    });
    const client = ctx.createNode("c").createClient("std_srvs/srv/Trigger", "/boom");
    await expect(client.call({})).rejects.toThrow(/service \/boom failed in \/s/);
    expect(errors.some((e) => /handler broke/.test(e))).toBe(true);
    expect(() =>
      ctx
        .createNode("t")
        .createService("std_srvs/srv/Trigger", "/boom", () => ({ success: true, message: "" })),
    ).toThrow(TopicError);
    expect(() =>
      server.createService("std_srvs/msg/Trigger", "/x", () => ({ success: true, message: "" })),
    ).toThrow(MessageTypeError);
  });
});
