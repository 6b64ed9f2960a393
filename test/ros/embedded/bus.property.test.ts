import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createEmbeddedContext } from "../../../src/ros/embedded/context.js";

describe("bus properties", () => {
  it("keep-last: after each burst a subscriber gets exactly the last min(depth, burst) messages, in order", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 6 }),
        (depth, bursts) => {
          const ctx = createEmbeddedContext({ logSink: () => {} });
          try {
            const n = ctx.createNode("n");
            const got: number[] = [];
            n.createSubscription("std_msgs/msg/Int32", "/t", { qos: { depth } }, (m) => got.push(m.data));
            const pub = n.createPublisher("std_msgs/msg/Int32", "/t");
            let next = 0;
            const expected: number[] = [];
            for (const size of bursts) {
              const sent: number[] = [];
              for (let i = 0; i < size; i++) {
                pub.publish({ data: next });
                sent.push(next++);
              }
              ctx.spinSome();
              expected.push(...sent.slice(Math.max(0, size - depth)));
            }
            expect(got).toEqual(expected);
          } finally {
            ctx.shutdown();
          }
        },
      ),
      { numRuns: 200, seed: 42 },
    );
  });

  it("transient-local: a late subscriber gets the last min(pub depth, sub depth) latched messages", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 12 }),
        (pubDepth, subDepth, count) => {
          const ctx = createEmbeddedContext({ logSink: () => {} });
          try {
            const n = ctx.createNode("n");
            const pub = n.createPublisher("std_msgs/msg/Int32", "/t", {
              qos: { depth: pubDepth, durability: "transient_local" },
            });
            for (let i = 0; i < count; i++) pub.publish({ data: i });
            const got: number[] = [];
            n.createSubscription(
              "std_msgs/msg/Int32",
              "/t",
              { qos: { depth: subDepth, durability: "transient_local" } },
              (m) => got.push(m.data),
            );
            ctx.spinSome();
            const keep = Math.min(pubDepth, subDepth, count);
            expect(got).toEqual(Array.from({ length: keep }, (_, i) => count - keep + i));
          } finally {
            ctx.shutdown();
          }
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });
});
