/** The demo's run folder: validated robot name and a writable folder, with errors a person can act on. */
import { accessSync, constants, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError, TetherError } from "../../core/errors.js";
import { makeRunId } from "../../core/run-id.js";
import { listRobots, REPO_ROOT } from "../../robot/load.js";

export class RunDirError extends TetherError {
  constructor(dir: string, detail: string, options?: { cause?: unknown }) {
    super(
      "RUN_DIR",
      `cannot write the run folder ${dir}: ${detail}`,
      { dir },
      {
        cause: options?.cause,
        hint: "check that logs/ (or --out) is a writable folder, or pass --out <a writable folder>",
      },
    );
  }
}

export function checkRobotName(robot: string, robotsDir?: string): void {
  const robots = listRobots(robotsDir);
  if (!robots.includes(robot)) {
    throw new ConfigError("--robot", "robot", `unknown robot "${robot}"`, {
      expected: robots.join(" | "),
      hint: `robots live under robots/<name>/robot.yaml; available: ${robots.join(", ")}`,
    });
  }
}

export function newRunDir(robot: string, seed: number, out?: string): { runId: string; dir: string } {
  const runId = makeRunId(["demo", robot, `s${seed}`]);
  const dir = out !== undefined ? resolve(out) : join(REPO_ROOT, "logs", runId);
  ensureWritableDir(dir);
  return { runId, dir };
}

export function ensureWritableDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "";
    throw new RunDirError(dir, `${code} ${(err as Error).message}`.trim(), { cause: err });
  }
}
