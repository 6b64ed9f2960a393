import { execFileSync } from "node:child_process";
import { writeFileSync, readFileSync, mkdirSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openBag } from "../../../src/data/rosbag2/bag.js";
import { bagInfo, formatBagInfo } from "../../../src/data/rosbag2/bag-info.js";
import { readBagMetadata } from "../../../src/data/rosbag2/metadata.js";
import { REPO_ROOT } from "../../../src/robot/load.js";
import { FIXTURE_BAGS, bagPath, fixtureBag, tempDir } from "./helpers.js";

describe("bag info", () => {
  it("lists topics with name, type, message_count and the total, equal to metadata.yaml", async () => {
    for (const name of ["talker_mcap", "cdr_test_sqlite3"] as const) {
      const bag = await openBag(bagPath(name));
      const info = bagInfo(bag);
      await bag.close();
      const meta = readBagMetadata(join(bagPath(name), "metadata.yaml"));
      expect(info.total).toBe(meta.messageCount);
      expect(info.storage).toBe(meta.storage);
      expect(info.duration).toBeCloseTo(Number(meta.durationNs) / 1e9, 9);
      expect(
        info.topics.map((t) => ({ name: t.name, type: t.type, message_count: t.message_count })),
      ).toEqual(
        meta.topics
          .map((t) => ({ name: t.name, type: t.type, message_count: t.messageCount }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      );
      expect(info.warnings).toEqual([]);
      const text = formatBagInfo(info);
      expect(text).toContain(`Messages:          ${meta.messageCount}`);
      for (const t of meta.topics)
        expect(text).toContain(`Topic: ${t.name} | Type: ${t.type} | Count: ${t.messageCount} |`);
    }
  });

  it("warns when metadata.yaml disagrees with the storage files", async () => {
    const dir = tempDir();
    copyFileSync(join(bagPath("cdr_test_mcap"), "cdr_test_0.mcap"), join(dir, "cdr_test_0.mcap"));
    writeFileSync(
      join(dir, "metadata.yaml"),
      readFileSync(join(bagPath("cdr_test_mcap"), "metadata.yaml"), "utf8").replace(
        "message_count: 3",
        "message_count: 5",
      ),
    );
    const bag = await openBag(dir);
    const info = bagInfo(bag);
    await bag.close();
    expect(info.warnings).toEqual([
      `${join(dir, "metadata.yaml")}: topic /test_topic has message_count 5 but the storage files hold 3`,
    ]);
  });

  it("`tether bag info --json` prints one JSON object as the last stdout line", () => {
    mkdirSync(tempDir(), { recursive: true });
    const out = execFileSync(
      "npx",
      ["tsx", "src/cli/main.ts", "bag", "info", bagPath("talker_mcap"), "--json"],
      { cwd: REPO_ROOT, encoding: "utf8" },
    );
    const lines = out.trim().split("\n");
    const json = JSON.parse(lines[lines.length - 1]);
    expect(json.total).toBe(20);
    expect(json.storage).toBe("mcap");
    expect(
      json.topics.map((t: { name: string; message_count: number }) => [t.name, t.message_count]),
    ).toEqual([
      ["/parameter_events", 0],
      ["/rosout", 10],
      ["/topic", 10],
    ]);
  });

  it("`tether bag info` prints services with request and response counts, as ros2 bag info -v does", () => {
    const out = execFileSync(
      "npx",
      ["tsx", "src/cli/main.ts", "bag", "info", fixtureBag("services_sqlite3")],
      {
        cwd: REPO_ROOT,
        encoding: "utf8",
      },
    );
    const ros2 = readFileSync(join(FIXTURE_BAGS, "services_sqlite3.ros2-bag-info.txt"), "utf8");
    const service = (text: string) => text.split("\n").find((l) => l.startsWith("Service information:"));
    expect(service(out)).toMatch(/Request Count: \d+ \| Response Count: \d+/);
    expect(service(out)).toBe(service(ros2));
  });
});
