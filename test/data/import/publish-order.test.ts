import { describe, expect, it } from "vitest";
import type { BagMessage } from "../../../src/data/rosbag2/bag.js";
import { inPublishOrder } from "../../../src/data/import/publish-order.js";

const MS = 1_000_000n;

function msg(topic: string, logMs: number, publishMs?: number): BagMessage {
  return {
    topic,
    type: "std_msgs/msg/Int32",
    logTimeNs: BigInt(logMs) * MS,
    ...(publishMs !== undefined ? { publishTimeNs: BigInt(publishMs) * MS } : {}),
    data: new Uint8Array(0),
    file: "test.mcap",
    message: undefined,
  };
}

async function order(messages: BagMessage[]): Promise<string[]> {
  async function* source() {
    yield* messages;
  }
  const out: string[] = [];
  for await (const m of inPublishOrder(source())) out.push(m.topic);
  return out;
}

describe("inPublishOrder", () => {
  it("puts a message received after a later-published one back before it", async () => {
    // As in a lock-step bag: the command answering state 1 was published before state 2 but received after.
    const got = await order([
      msg("state1", 10, 9),
      msg("state2", 21, 20),
      msg("command1", 22, 15),
      msg("state3", 31, 30),
    ]);
    expect(got).toEqual(["state1", "command1", "state2", "state3"]);
  });

  it("uses the receive time of a message without a publish time (older bags)", async () => {
    const got = await order([msg("a", 10), msg("b", 20, 5), msg("c", 30, 0)]);
    expect(got).toEqual(["b", "a", "c"]);
  });

  it("releases messages once they are a second older than the latest receive time, keeping order", async () => {
    const seen: string[] = [];
    async function* source() {
      yield msg("early", 10, 10);
      yield msg("late", 2000, 2000);
      // By now "early" must have left the buffer: it is 2 s older than the latest message received.
      expect(seen).toEqual(["early"]);
    }
    for await (const m of inPublishOrder(source())) seen.push(m.topic);
    expect(seen).toEqual(["early", "late"]);
  });
});
