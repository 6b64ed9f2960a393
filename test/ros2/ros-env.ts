/**
 * The environment of a real ROS 2 for the processes these tests start (ros2, ros2 launch, the wrappers):
 * the calling shell's if ROS 2 is sourced there, else ../shared/ros2/env.sh beside the repository (what
 * .ci/run installs), sourced once. The tests skip without ROS 2 only outside CI: under CI=true a missing
 * ROS 2 fails them.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../src/robot/load.js";

const ENV_SH = join(REPO_ROOT, "..", "shared", "ros2", "env.sh");

function loadRosEnv(): NodeJS.ProcessEnv | undefined {
  if (process.env.ROS_DISTRO && process.env.AMENT_PREFIX_PATH) return { ...process.env };
  if (!existsSync(ENV_SH)) return undefined;
  const r = spawnSync("bash", ["-c", `source '${ENV_SH}' >/dev/null && env -0`], { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  const env: NodeJS.ProcessEnv = {};
  for (const entry of r.stdout.split("\0")) {
    const k = entry.indexOf("=");
    if (k > 0) env[entry.slice(0, k)] = entry.slice(k + 1);
  }
  return env;
}

const ROS_ENV = loadRosEnv();

/** Run the ROS 2 tests here: ROS 2 is present, or CI demands it (and the tests fail without it). */
export const RUN_ROS_TESTS = ROS_ENV !== undefined || process.env.CI === "true";

/** ROS 2's environment plus `extra` (e.g. AMENT_PREFIX_PATH); throws when ROS 2 is not installed. */
export function rosEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  if (!ROS_ENV) {
    throw new Error(
      `ROS 2 is not available: source its setup (ROS_DISTRO unset) or install ${ENV_SH} (../shared/ros2/install.sh)`,
    );
  }
  return { ...ROS_ENV, ...extra };
}

/** Prepends `prefix` to AMENT_PREFIX_PATH, as sourcing a colcon install's setup would. */
export function withPrefix(prefix: string): Record<string, string> {
  const rest = ROS_ENV?.AMENT_PREFIX_PATH;
  return { AMENT_PREFIX_PATH: rest ? `${prefix}:${rest}` : prefix };
}

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Started {
  /** stdout + stderr so far. */
  output(): string;
  /** Resolves once the output matches; rejects (with the output) if the process ends first or after `ms`. */
  waitFor(pattern: RegExp, ms: number): Promise<void>;
  /** Ctrl-C: SIGINT to the whole process group (ros2 run relies on its child getting it too). */
  interrupt(): void;
  /** The end; a group still alive 20 s after interrupt() is killed (signal SIGKILL). */
  done: Promise<Ran>;
}

/** Starts a command in its own process group, like a command typed in a terminal. */
export function startRos(
  cmd: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string },
): Started {
  const child = spawn(cmd, args, {
    env: options.env,
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  let ended = false;
  const watchers: (() => void)[] = [];
  const notify = (): void => {
    for (const w of [...watchers]) w();
  };
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    notify();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    notify();
  });
  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, sig);
    } catch {
      // the group has already exited
    }
  };
  const done = new Promise<Ran>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      ended = true;
      notify();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    output: () => stdout + stderr,
    waitFor(pattern, ms) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`no ${pattern} within ${ms} ms`)), ms);
        const check = (): void => {
          if (pattern.test(stdout + stderr)) finish();
          else if (ended) finish(new Error(`${cmd} ended before printing ${pattern}`));
        };
        const finish = (err?: Error): void => {
          clearTimeout(timer);
          const i = watchers.indexOf(check);
          if (i >= 0) watchers.splice(i, 1);
          if (err) reject(new Error(`${err.message}; output:\n${stdout}${stderr}`));
          else resolve();
        };
        watchers.push(check);
        check();
      });
    },
    interrupt() {
      signalGroup("SIGINT");
      setTimeout(() => signalGroup("SIGKILL"), 20_000).unref();
    },
    done,
  };
}

/** Runs a command to its end (ros2 pkg, ros2 node list, ...); interrupted if it runs past `timeoutMs`. */
export async function runRos(
  cmd: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number },
): Promise<Ran> {
  const p = startRos(cmd, args, options);
  const timer = setTimeout(() => p.interrupt(), options.timeoutMs ?? 60_000);
  try {
    return await p.done;
  } finally {
    clearTimeout(timer);
  }
}
