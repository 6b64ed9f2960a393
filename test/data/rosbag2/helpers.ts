import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { REPO_ROOT } from "../../../src/robot/load.js";

/** The real rosbag2 bags (shared/ sits beside the repo in CI). */
export const SHARED_BAGS = resolve(REPO_ROOT, "../shared/data/rosbag2");

export function bagPath(
  name: "talker_mcap" | "talker_sqlite3" | "cdr_test_mcap" | "cdr_test_sqlite3",
): string {
  return join(SHARED_BAGS, name);
}

export function tempDir(prefix = "tether-bags-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
