import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { readEpisodes } from "../../../src/data/dataset-reader.js";
import { writeSyntheticRunLog } from "../../../src/data/import/synthetic-log.js";
import { REPO_ROOT } from "../../../src/robot/load.js";
import { bagPath, tempDir } from "../rosbag2/helpers.js";
import { ARM2_DIR, FIXTURES, arm2 } from "./helpers.js";

const run = promisify(execFile);
const tether = (args: string[]) =>
  run("npx", ["tsx", "src/cli/main.ts", ...args], { cwd: REPO_ROOT, encoding: "utf8" });

describe("tether import / replay (CLI smoke)", () => {
  it("`tether import --json` imports a run log with a mapping file and reports one JSON object", async () => {
    const dir = tempDir();
    const bag = join(dir, "run.mcap");
    await writeSyntheticRunLog(bag, arm2().spec, {
      steps: 30,
      jointNames: { shoulder_joint: "j1", elbow_joint: "j2" },
      jointStatesTopic: "/arm/joint_states",
      commandTopic: "/arm/commands",
      commandOrder: ["elbow_effort", "shoulder_effort"],
      taskTopics: { goal: "/arm/target" },
      episodeTopic: "/arm/episode",
    });
    const { stdout } = await tether([
      "import",
      bag,
      "--robot",
      ARM2_DIR,
      "--map",
      join(FIXTURES, "arm2-remap.yaml"),
      "--out",
      join(dir, "ds"),
      "--json",
    ]);
    const lines = stdout.trim().split("\n");
    const report = JSON.parse(lines[lines.length - 1]);
    expect([report.episodes, report.transitions, report.robot]).toEqual([1, 29, "arm2"]);
    expect([...readEpisodes(join(dir, "ds"))].map((e) => e.steps)).toEqual([29]);
  });

  it("`tether replay --json` publishes every message of a real bag", async () => {
    const { stdout } = await tether(["replay", bagPath("talker_mcap"), "--rate", "50", "--json"]);
    const lines = stdout.trim().split("\n");
    const summary = JSON.parse(lines[lines.length - 1]);
    expect([summary.published, summary.per_topic, summary.runtime]).toEqual([
      20,
      { "/rosout": 10, "/topic": 10 },
      "embedded",
    ]);
    expect(summary.clock_messages).toBeGreaterThan(0);
  });
});
