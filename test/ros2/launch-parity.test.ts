/**
 * Every launch file in launch/ starts the same nodes with the same parameters and remaps under ROS 2's own
 * `ros2 launch` (real launch_ros resolving args, includes, $(find-pkg-share), if/unless, <param>s) as under
 * `tether launch` (what --print shows). ros2 launch runs with --launch-prefix set to capture_node.py, so
 * each process it would start is read instead of run: rcl itself (an rclpy node given the same arguments)
 * resolves its name and the parameters launch_ros handed it, typed as the node would receive them. Both
 * sides then meet twice:
 *   - the ROS view against `tether launch --print`;
 *   - the command line fed to the lib/tether wrapper's own parser (`tether node run`), so what the wrapper
 *     starts is what `tether launch` starts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { interpretLaunchFile } from "../../src/launch/interpreter.js";
import type { NodeDescription } from "../../src/launch/description.js";
import { nodeDescriptionFromArgs } from "../../src/launch/single-node.js";
import { NODE_REGISTRY } from "../../src/nodes/registry.js";
import { REPO_ROOT } from "../../src/robot/load.js";
import { defaultAmentSources, installAmentPackage } from "../../src/ros/ament-package.js";
import { describeRos2, ros2Env, run } from "./ros2-env.js";

const DOMAIN = 222;

/**
 * Launch arguments per case; every file in launch/ needs at least one (checked below). launch/ files run
 * as `ros2 launch tether <file>` (from the installed share); the fixture by its path.
 */
const CASES: { file: string; fixture?: true; args: Record<string, string> }[] = [
  { file: "sim.launch.xml", args: {} },
  {
    file: "sim.launch.xml",
    args: { robot: "pendulum", level: "0.5", mode: "realtime", seed: "7", episodes: "3" },
  },
  { file: "record.launch.xml", args: { out: "logs/parity-out", robot: "pendulum", level: "medium" } },
  {
    file: "replay.launch.xml",
    args: { bag: "logs/run-1/sim.mcap", rate: "2.0", loop: "true", topics: "/joint_states /clock" },
  },
  { file: "deploy.launch.xml", args: { model: "models/iql" } },
  {
    file: "deploy.launch.xml",
    args: { model: "models/iql", shadow: "false", max_delta: "0.05", run_log: "logs/canary.mcap" },
  },
  { file: "finetune.launch.xml", args: { model: "iql-reacher2", dataset: "reacher2-medium" } },
  { file: "parity.launch.xml", fixture: true, args: {} },
  { file: "parity.launch.xml", fixture: true, args: { ns: "/top/arm", with_recorder: "false" } },
];

const FIXTURES = join(REPO_ROOT, "test", "ros2", "fixtures");

/** What capture_node.py writes for each process ros2 launch would start. */
interface Captured {
  argv: string[];
  package: string;
  executable: string;
  fullName: string;
  parameters: Record<string, [string, unknown]>;
  remaps: { from: string; to: string }[];
  args: string[];
  logLevels: string[];
}

/** A ROS-typed parameter as Tether holds it (integer and double are both numbers there). */
function untyped([type, value]: [string, unknown]): unknown {
  return type === "array" ? (value as [string, unknown][]).map(untyped) : value;
}

function tetherView(n: NodeDescription) {
  return {
    package: n.package,
    executable: n.executable,
    fullName: n.fullName,
    parameters: n.parameters,
    remaps: n.remaps,
    args: n.args,
    logLevels: n.logLevels ?? [],
  };
}

function rosView(c: Captured) {
  return {
    package: c.package,
    executable: c.executable,
    fullName: c.fullName,
    parameters: Object.fromEntries(Object.entries(c.parameters).map(([k, v]) => [k, untyped(v)])),
    remaps: c.remaps,
    args: c.args,
    logLevels: c.logLevels,
  };
}

const byName = <T extends { fullName: string }>(xs: T[]): T[] =>
  [...xs].sort((a, b) => a.fullName.localeCompare(b.fullName));

describeRos2("launch/ under ros2 launch and tether launch", () => {
  let dir: string;
  let prefix: string;

  /** ros2 launch's environment: ROS 2 with the install on AMENT_PREFIX_PATH. */
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
    const base = ros2Env(DOMAIN);
    return { ...base, AMENT_PREFIX_PATH: `${prefix}:${base.AMENT_PREFIX_PATH ?? ""}`, ...extra };
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tether-launch-parity-"));
    prefix = join(dir, "install");
    installAmentPackage(prefix, defaultAmentSources(REPO_ROOT, Object.keys(NODE_REGISTRY)));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("has a case for every launch file", () => {
    const files = readdirSync(join(REPO_ROOT, "launch")).filter((f) => f.endsWith(".launch.xml"));
    expect(files.length).toBeGreaterThan(0);
    expect(new Set(CASES.filter((c) => !c.fixture).map((c) => c.file))).toEqual(new Set(files));
  });

  it.each(CASES.map((c, i) => [`${c.file} ${JSON.stringify(c.args)}`, i] as const))(
    "%s: same nodes, parameters and remaps",
    async (_label, i) => {
      const { file, fixture, args } = CASES[i];
      const path = fixture ? join(FIXTURES, file) : join(prefix, "share", "tether", "launch", file);
      const caseDir = mkdtempSync(join(dir, "case-"));
      const out = join(caseDir, "capture.jsonl");
      const ran = await run(
        "ros2",
        [
          "launch",
          ...(fixture ? [path] : ["tether", file]),
          ...Object.entries(args).map(([k, v]) => `${k}:=${v}`),
          "--launch-prefix",
          `python3 ${join(FIXTURES, "capture_node.py")}`,
        ],
        // TMPDIR: launch_ros writes each node's parameter file there (and never deletes it).
        env({ TETHER_CAPTURE: out, TMPDIR: caseDir, ROS_LOG_DIR: join(caseDir, "log") }),
        60_000,
      );
      expect(ran.code, ran.out).toBe(0);
      expect(existsSync(out), ran.out).toBe(true);
      const captured = readFileSync(out, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Captured);

      // The file ros2 launch read, with its environment: $(find-pkg-share tether) is the install's share.
      const desc = interpretLaunchFile(path, {
        args,
        env: env(),
      });
      expect(desc.nodes.length).toBeGreaterThan(0);
      const tether = byName(desc.nodes.map(tetherView));
      expect(captured.map((c) => dirname(c.argv[0]))).toEqual(
        captured.map(() => join(prefix, "lib", "tether")),
      );
      expect(byName(captured.map(rosView))).toEqual(tether);

      const viaWrapper = byName(
        captured.map((c) => nodeDescriptionFromArgs(basename(c.argv[0]), c.argv.slice(1)).nodes[0]),
      );
      expect(viaWrapper.map(tetherView)).toEqual(tether);
    },
  );
});
