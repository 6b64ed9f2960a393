import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { REPO_ROOT } from "../../../src/robot/load.js";

/** The real rosbag2 bags (shared/ sits beside the repo in CI, and beside the worktrees' folder in development). */
export const SHARED_BAGS =
  ["../shared/data/rosbag2", "../../shared/data/rosbag2"]
    .map((p) => resolve(REPO_ROOT, p))
    .find((p) => existsSync(p)) ?? resolve(REPO_ROOT, "../shared/data/rosbag2");

/** The bags recorded by test/data/fixtures/make-bags.sh with ROS 2 Jazzy's own tools. */
export const FIXTURE_BAGS = resolve(REPO_ROOT, "test/data/fixtures/rosbag2");

export type FixtureBag =
  | "joint_states_mcap"
  | "joint_states_sqlite3"
  | "joint_states_mcap_fastwrite"
  | "joint_states_mcap_zstd_small"
  | "joint_states_split_mcap"
  | "joint_states_mcap_zstd_message"
  | "joint_states_sqlite3_zstd_message"
  | "joint_states_mcap_zstd_file"
  | "joint_states_sqlite3_zstd_file"
  | "services_mcap"
  | "services_sqlite3"
  | "services_trigger_mcap";

export function fixtureBag(name: FixtureBag): string {
  return join(FIXTURE_BAGS, name);
}

export function bagPath(
  name: "talker_mcap" | "talker_sqlite3" | "cdr_test_mcap" | "cdr_test_sqlite3",
): string {
  return join(SHARED_BAGS, name);
}

export function tempDir(prefix = "tether-bags-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
