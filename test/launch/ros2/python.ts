/**
 * Runs the reference scripts of test/launch/ros2/ on Debian's python3 (with ROS 2 sourced when it is
 * installed). Tests needing them skip only on a developer machine without them; under CI they fail.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const SCRIPTS = dirname(fileURLToPath(import.meta.url));
const PYTHON = "/usr/bin/python3";
const ROS_PREFIX = process.env.ROS2_PREFIX ?? "/opt/ros/jazzy";
const ROS_SETUP = join(ROS_PREFIX, "setup.bash");

/** The ament prefixes the ROS 2 side of a test sees: this shell's, or those sourcing ROS 2 gives. */
export function ros2AmentPrefixPath(): string {
  const current = process.env.AMENT_PREFIX_PATH ?? "";
  return current !== "" ? current : ROS_PREFIX;
}

export const hasPython = existsSync(PYTHON);
/** ROS 2 is sourced already (CI) or installed where env.sh puts it. */
export const hasRos2 = hasPython && ((process.env.AMENT_PREFIX_PATH ?? "") !== "" || existsSync(ROS_SETUP));
export const skipWithoutPython = !hasPython && !process.env.CI;
export const skipWithoutRos2 = !hasRos2 && !process.env.CI;

/** Runs `script` (a file beside this one) with `input` as JSON on stdin; returns its parsed JSON stdout. */
export function runPython(script: string, input: unknown, options: { ros2?: boolean } = {}): unknown {
  const path = join(SCRIPTS, script);
  // Sourcing ROS 2 here sets PYTHONPATH itself; a pyenv/virtualenv interpreter must not leak in either way.
  const base = { ...process.env, VIRTUAL_ENV: undefined, PYENV_VERSION: undefined };
  const sourced = options.ros2 === true && (process.env.AMENT_PREFIX_PATH ?? "") === "";
  const env = sourced ? { ...base, PYTHONPATH: undefined, PATH: `/usr/bin:${process.env.PATH ?? ""}` } : base;
  const out = sourced
    ? execFileSync("bash", ["-c", `set +u; source "${ROS_SETUP}" >/dev/null; exec ${PYTHON} "${path}"`], {
        input: JSON.stringify(input),
        env,
        maxBuffer: 1 << 28,
      })
    : execFileSync(PYTHON, [path], { input: JSON.stringify(input), env, maxBuffer: 1 << 28 });
  return JSON.parse(out.toString("utf8"));
}
