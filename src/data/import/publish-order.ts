/**
 * A bag's messages in publish-time order. rosbag2 (Jazzy on) stores each message's DDS source timestamp as
 * its publish time: on one machine that order is causal across publishers (a lock-step command is sent
 * before the state it causes), while the receive order interleaves publishers' streams as delivery went.
 * Messages without a publish time (older bags, other storage) keep their receive time.
 */
import type { BagMessage } from "../rosbag2/bag.js";

/** How late a message may be received after one published later than it: far above loopback delivery. */
const REORDER_WINDOW_NS = 1_000_000_000n;

const publishNs = (m: BagMessage): bigint => (m.publishTimeNs ? m.publishTimeNs : m.logTimeNs);

export async function* inPublishOrder(messages: AsyncIterable<BagMessage>): AsyncGenerator<BagMessage> {
  // Sorted by publish time; receive order is nearly publish order, so inserting from the end is cheap.
  const pending: BagMessage[] = [];
  for await (const m of messages) {
    const t = publishNs(m);
    let i = pending.length;
    while (i > 0 && publishNs(pending[i - 1]) > t) i--;
    pending.splice(i, 0, m);
    let ready = 0;
    while (ready < pending.length && publishNs(pending[ready]) + REORDER_WINDOW_NS < m.logTimeNs) ready++;
    if (ready > 0) yield* pending.splice(0, ready);
  }
  yield* pending;
}
