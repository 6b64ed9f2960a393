/**
 * The bags of test/data/fixtures/rosbag2/, recorded by ROS 2 Jazzy's `ros2 bag record` (make-bags.sh) in every
 * layout Tether reads: MCAP (default, fastwrite and zstd_small presets) and sqlite3, zstd per message and per file,
 * service events. Counts are checked
 * against each bag's own metadata.yaml and `tether bag info` against what `ros2 bag info` printed for it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { McapIndexedReader } from "@mcap/core";
import { describe, expect, it } from "vitest";
import { openBag, type Bag, type BagMessage } from "../../../src/data/rosbag2/bag.js";
import { bagInfo, countServiceEvents, formatBagInfo } from "../../../src/data/rosbag2/bag-info.js";
import { openMcapStorage } from "../../../src/data/rosbag2/mcap-storage.js";
import { readBagMetadata } from "../../../src/data/rosbag2/metadata.js";
import { openSqliteStorage } from "../../../src/data/rosbag2/sqlite-storage.js";
import { isZstdFrame } from "../../../src/data/rosbag2/storage-file.js";
import { FIXTURE_BAGS, fixtureBag, type FixtureBag } from "./helpers.js";

async function withBag<T>(path: string, fn: (bag: Bag) => Promise<T>): Promise<T> {
  const bag = await openBag(path);
  try {
    return await fn(bag);
  } finally {
    await bag.close();
  }
}

async function collect(bag: Bag, topics?: string[]): Promise<BagMessage[]> {
  const out: BagMessage[] = [];
  for await (const m of bag.messages({ topics })) out.push(m);
  return out;
}

/** What make-bags.sh publishes on /joint_states. */
const JOINT_STATE = {
  name: ["shoulder", "elbow"],
  position: [0.5, -1.25],
  velocity: [0.125, 2.0],
  effort: [] as number[],
};

const BAGS: FixtureBag[] = [
  "joint_states_mcap",
  "joint_states_sqlite3",
  "joint_states_mcap_fastwrite",
  "joint_states_mcap_zstd_small",
  "joint_states_split_mcap",
  "joint_states_mcap_zstd_message",
  "joint_states_sqlite3_zstd_message",
  "joint_states_mcap_zstd_file",
  "joint_states_sqlite3_zstd_file",
  "services_mcap",
  "services_sqlite3",
  "services_trigger_mcap",
];

function ros2BagInfo(name: FixtureBag): string[] {
  return readFileSync(join(FIXTURE_BAGS, `${name}.ros2-bag-info.txt`), "utf8")
    .trim()
    .split("\n");
}

describe("bags recorded by ros2 bag record (Jazzy)", () => {
  for (const name of BAGS) {
    it(`${name}: counts, start and duration equal metadata.yaml; every message decodes`, async () => {
      const meta = readBagMetadata(join(fixtureBag(name), "metadata.yaml"));
      await withBag(fixtureBag(name), async (bag) => {
        expect(bag.files.length).toBe(meta.relativeFilePaths.length);
        expect(bag.messageCount).toBe(meta.messageCount);
        expect(bag.startNs).toBe(meta.startNs);
        expect(bag.endNs - bag.startNs).toBe(meta.durationNs);
        const messages = await collect(bag);
        expect(messages.length).toBe(meta.messageCount);
        expect(meta.topics.length).toBeGreaterThan(0);
        for (const t of meta.topics) {
          expect(bag.topics.find((x) => x.name === t.name)?.messageCount, t.name).toBe(t.messageCount);
          expect(messages.filter((m) => m.topic === t.name).length, t.name).toBe(t.messageCount);
        }
        for (const m of messages) expect(m.message).toBeTypeOf("object");
        const joints = messages.filter((m) => m.topic === "/joint_states");
        expect(joints.length).toBe(name.startsWith("services_trigger") ? 0 : 12);
        for (const m of joints) {
          const js = m.message as typeof JOINT_STATE & { header: { frame_id: string } };
          expect(js.header.frame_id).toBe("base");
          expect(js.name).toEqual(JOINT_STATE.name);
          expect(Array.from(js.position)).toEqual(JOINT_STATE.position);
          expect(Array.from(js.velocity)).toEqual(JOINT_STATE.velocity);
          expect(Array.from(js.effort)).toEqual(JOINT_STATE.effort);
        }
        expect(bag.warnings).toEqual([]);
      });
    });

    it(`${name}: tether bag info agrees with ros2 bag info on messages, topics and services`, async () => {
      const ros2 = ros2BagInfo(name);
      await withBag(fixtureBag(name), async (bag) => {
        const info = bagInfo(bag, await countServiceEvents(bag));
        const ours = formatBagInfo(info).split("\n");
        const line = (lines: string[], label: string) => lines.find((l) => l.startsWith(label));
        expect(line(ours, "Messages:")).toBe(line(ros2, "Messages:"));
        expect(ours.find((l) => l.includes("(") && l.startsWith("Start:"))?.split("(")[1]).toBe(
          line(ros2, "Start:")!.split("(")[1],
        );
        // Ours adds "| Definition: ..." to each topic line.
        const topicLines = (lines: string[]) =>
          lines
            .filter((l) => l.includes("Topic: "))
            .map((l) => l.slice(l.indexOf("Topic: ")).split(" | Definition")[0]);
        expect(topicLines(ours)).toEqual(topicLines(ros2));
        const serviceLines = (lines: string[]) =>
          lines.filter((l) => l.includes("Service: ")).map((l) => l.slice(l.indexOf("Service: ")));
        expect(serviceLines(ours)).toEqual(serviceLines(ros2));
      });
    });
  }

  it("split bag: rosbag2 wrote three files; their messages come out in one time order", async () => {
    await withBag(fixtureBag("joint_states_split_mcap"), async (bag) => {
      expect(bag.files.length).toBe(3);
      const times = (await collect(bag)).map((m) => m.logTimeNs);
      expect(times.length).toBe(12);
      expect(times).toEqual([...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    });
  });

  it("MCAP fastwrite preset: no chunks, messages indexed only by the summary, all of them read", async () => {
    const file = join(fixtureBag("joint_states_mcap_fastwrite"), "joint_states_mcap_fastwrite_0.mcap");
    const bytes = readFileSync(file);
    const summary = await McapIndexedReader.Initialize({
      readable: {
        size: async () => BigInt(bytes.length),
        read: async (offset, length) => bytes.subarray(Number(offset), Number(offset + length)),
      },
    });
    expect(summary.chunkIndexes.length).toBe(0);
    expect(summary.statistics?.messageCount).toBe(12n);
    await withBag(file, async (bag) => expect((await collect(bag)).length).toBe(12));
  });

  it("compression_mode MESSAGE: rosbag2 stored each payload as a zstd frame; messages come out as CDR", async () => {
    for (const name of ["joint_states_mcap_zstd_message", "joint_states_sqlite3_zstd_message"] as const) {
      const meta = readBagMetadata(join(fixtureBag(name), "metadata.yaml"));
      expect([meta.compressionMode, meta.compressionFormat]).toEqual(["MESSAGE", "zstd"]);
      const file = join(fixtureBag(name), meta.relativeFilePaths[0]);
      const storage = file.endsWith(".mcap") ? await openMcapStorage(file) : await openSqliteStorage(file);
      try {
        for await (const raw of storage.messages()) expect(isZstdFrame(raw.data)).toBe(true);
      } finally {
        await storage.close();
      }
      await withBag(fixtureBag(name), async (bag) => {
        for (const m of await collect(bag)) expect(Array.from(m.data.subarray(0, 2))).toEqual([0, 1]); // CDR LE
      });
    }
  });

  it("compression_mode FILE: the .zstd storage file opens alone too, with the counts of metadata.yaml", async () => {
    for (const name of ["joint_states_mcap_zstd_file", "joint_states_sqlite3_zstd_file"] as const) {
      const meta = readBagMetadata(join(fixtureBag(name), "metadata.yaml"));
      expect(meta.compressionMode).toBe("FILE");
      expect(meta.relativeFilePaths[0]).toMatch(/\.(mcap|db3)\.zstd$/);
      await withBag(join(fixtureBag(name), meta.relativeFilePaths[0]), async (bag) => {
        expect(bag.messageCount).toBe(meta.messageCount);
        expect((await collect(bag)).length).toBe(meta.messageCount);
      });
    }
  });

  for (const name of ["services_mcap", "services_sqlite3"] as const) {
    it(`${name}: service events decode from the stored .srv: requests a=2 b=3, responses sum=5`, async () => {
      await withBag(fixtureBag(name), async (bag) => {
        const topic = bag.topics.find((t) => t.name === "/add_two_ints/_service_event")!;
        expect(topic.type).toBe("example_interfaces/srv/AddTwoInts_Event");
        expect(topic.service).toEqual({ name: "/add_two_ints", type: "example_interfaces/srv/AddTwoInts" });
        expect(topic.definitionSource).toBe("bag");
        const events = (await collect(bag, [topic.name])).map(
          (m) =>
            m.message as {
              info: { event_type: number; sequence_number: bigint; client_gid: Uint8Array };
              request: { a: bigint; b: bigint }[];
              response: { sum: bigint }[];
            },
        );
        expect(events.length).toBe(topic.messageCount);
        for (const e of events) {
          expect(e.info.client_gid.length).toBe(16);
          expect(e.info.sequence_number).toBeGreaterThan(0n);
          if (e.info.event_type <= 1) {
            expect(e.request).toEqual([{ a: 2n, b: 3n }]);
            expect(e.response).toEqual([]);
          } else {
            expect(e.info.event_type).toBeLessThanOrEqual(3);
            expect(e.request).toEqual([]);
            expect(e.response).toEqual([{ sum: 5n }]);
          }
        }
        // Both sides introspect: each call is sent and received, answered and received.
        const kinds = new Set(events.map((e) => e.info.event_type));
        expect([...kinds].sort()).toEqual([0, 1, 2, 3]);
        const info = bagInfo(bag, await countServiceEvents(bag));
        expect(info.topics.map((t) => t.name)).toEqual(["/joint_states"]);
        expect(info.total).toBe(bag.messageCount);
        expect(info.services).toEqual([
          {
            name: "/add_two_ints",
            type: "example_interfaces/srv/AddTwoInts",
            topic: "/add_two_ints/_service_event",
            event_count: events.length,
            request_count: events.filter((e) => e.info.event_type <= 1).length,
            response_count: events.filter((e) => e.info.event_type >= 2).length,
            serialization_format: "cdr",
          },
        ]);
      });
    });
  }

  it("services_trigger_mcap: a service with an empty request (std_srvs/Trigger, from rclpy) decodes", async () => {
    await withBag(fixtureBag("services_trigger_mcap"), async (bag) => {
      expect(bag.topics.map((t) => [t.name, t.service?.type])).toEqual([
        ["/trigger/_service_event", "std_srvs/srv/Trigger"],
      ]);
      const events = (await collect(bag)).map(
        (m) =>
          m.message as {
            info: { event_type: number; sequence_number: bigint };
            request: object[];
            response: { success: boolean; message: string }[];
          },
      );
      expect(events.length).toBe(bag.messageCount);
      const responses = events.filter((e) => e.info.event_type >= 2);
      expect(responses.length).toBeGreaterThan(0);
      for (const e of events.filter((x) => x.info.event_type <= 1)) expect(e.request).toEqual([{}]);
      // trigger_service.py answers call n with success = n odd, message "call n".
      for (const e of responses)
        expect(e.response).toEqual([
          { success: e.info.sequence_number % 2n === 1n, message: `call ${e.info.sequence_number}` },
        ]);
    });
  });
});
