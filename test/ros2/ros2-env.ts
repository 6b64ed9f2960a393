/**
 * Real ROS 2 for the interop tests: the processes on both sides (Tether's CLI with --ros, ros2 CLI, rclpy,
 * C++ nodes) run with ../shared/ros2/env.sh sourced (DDS on loopback only) and their own ROS_DOMAIN_ID,
 * so test files running in parallel never see each other's graph. The vitest process itself stays
 * without ROS 2, like every other test. Skipped only where ROS 2 is absent and CI is not set: under CI a
 * missing ROS 2 fails.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe } from "vitest";
import { REPO_ROOT } from "../../src/robot/load.js";

/** env.sh from ../shared/ros2 beside the repository (CI's layout); TETHER_ROS2_ENV overrides. */
export const ROS2_ENV_SH = process.env.TETHER_ROS2_ENV ?? join(REPO_ROOT, "..", "shared", "ros2", "env.sh");
const RCLNODEJS_BINARY = join(REPO_ROOT, "node_modules", "rclnodejs", "build", "Release", "rclnodejs.node");

function sourcedEnv(): Record<string, string> | undefined {
  if (!existsSync(ROS2_ENV_SH)) return undefined;
  const r = spawnSync("bash", ["-c", `set +u; source "${ROS2_ENV_SH}" >/dev/null && env -0`], {
    encoding: "utf8",
  });
  if (r.status !== 0) return undefined;
  const env: Record<string, string> = {};
  for (const entry of r.stdout.split("\0")) {
    const i = entry.indexOf("=");
    if (i > 0) env[entry.slice(0, i)] = entry.slice(i + 1);
  }
  return env;
}

const base = sourcedEnv();
export const ROS2_AVAILABLE = base !== undefined && existsSync(RCLNODEJS_BINARY);

/** describe() for tests that need real ROS 2: skipped only where it is absent outside CI. */
export const describeRos2 = ROS2_AVAILABLE || process.env.CI ? describe : describe.skip;

/** The environment of a process on the ROS 2 graph of `domainId`; throws what is missing. */
export function ros2Env(domainId: number): NodeJS.ProcessEnv {
  if (base === undefined)
    throw new Error(`ROS 2 is not installed (${ROS2_ENV_SH}): run bash ../shared/ros2/install.sh`);
  if (!existsSync(RCLNODEJS_BINARY))
    throw new Error("rclnodejs is not built: source ../shared/ros2/env.sh and run npm ci");
  return { ...base, ROS_DOMAIN_ID: String(domainId), RCUTILS_COLORIZED_OUTPUT: "0" };
}

export interface Proc {
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves when the output matches; rejects after timeoutMs or if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGINT, then the exit code (SIGKILL after timeoutMs, reported as an error). */
  interrupt(timeoutMs?: number): Promise<number | null>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function start(cmd: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(cmd, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const listeners = new Set<() => void>();
  const onData = (b: Buffer): void => {
    out += b.toString("utf8");
    for (const l of listeners) l();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      resolve({ code, signal });
      for (const l of listeners) l();
    }),
  );
  return {
    child,
    exited,
    output: () => out,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = out.match(pattern);
          if (m) return done(() => resolve(m));
          if (child.exitCode !== null || child.signalCode !== null)
            done(() => reject(new Error(`${cmd} exited before printing ${pattern}:\n${out}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`no ${pattern} from ${cmd} in ${timeoutMs} ms:\n${out}`))),
          timeoutMs,
        );
        const done = (f: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          f();
        };
        listeners.add(check);
        check();
      });
    },
    async interrupt(timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const r = await exited;
      clearTimeout(timer);
      if (r.signal === "SIGKILL") throw new Error(`${cmd} ignored SIGINT for ${timeoutMs} ms:\n${out}`);
      return r.code;
    },
  };
}

/** Tether's CLI as its own process (`node --import tsx src/cli/main.ts ...`). */
export function startTether(args: string[], env: NodeJS.ProcessEnv): Proc {
  return start(process.execPath, ["--import", "tsx", join(REPO_ROOT, "src", "cli", "main.ts"), ...args], env);
}

/** Runs a command to completion. */
export async function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<{ code: number | null; out: string }> {
  const p = start(cmd, args, env);
  const timer = setTimeout(() => p.child.kill("SIGKILL"), timeoutMs);
  const r = await p.exited;
  clearTimeout(timer);
  return { code: r.code, out: p.output() };
}

/** `ros2 node list` (no daemon: a daemon would outlive the test and cache a stale graph). */
export async function nodeList(env: NodeJS.ProcessEnv): Promise<string[]> {
  const r = await run("ros2", ["node", "list", "--no-daemon", "--spin-time", "1"], env);
  return r.out
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("/"))
    .sort();
}

/** Polls until fn() is true; throws `what` after timeoutMs. */
export async function waitUntil(
  fn: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
