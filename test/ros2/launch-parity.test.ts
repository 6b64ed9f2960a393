/**
 * Every launch file in launch/ starts the same nodes with the same parameters and remaps under ROS 2's own
 * `ros2 launch` (real launch_ros resolving args, includes, $(find-pkg-share), if/unless, <param>s) as under
 * `tether launch` (what --print shows). ros2 launch runs with --launch-prefix set to a capture script, so
 * each process it would start writes its exact command line (and, read back with PyYAML, the parameter
 * files launch_ros wrote for it) instead of running. Both sides then meet twice:
 *   - the ROS view (PyYAML-typed parameters, -r remaps, __node/__ns) against `tether launch --print`;
 *   - the command line fed to the lib/tether wrapper's own parser (`tether node run`), so what the wrapper
 *     starts is what `tether launch` starts.
 */
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  chmodSync,
  existsSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { interpretLaunchFile } from "../../src/launch/interpreter.js";
import type { NodeDescription } from "../../src/launch/description.js";
import { nodeDescriptionFromArgs } from "../../src/launch/single-node.js";
import { NODE_REGISTRY } from "../../src/nodes/registry.js";
import { REPO_ROOT } from "../../src/robot/load.js";
import { defaultAmentSources, installAmentPackage } from "../../src/ros/ament-package.js";
import { RUN_ROS_TESTS, rosEnv, runRos, withPrefix } from "./ros-env.js";

/** Launch arguments per case; every file in launch/ needs at least one (checked below). */
const CASES: { file: string; args: Record<string, string> }[] = [
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
];

// Appends argv (after the prefix) and the merged parameter files, typed by PyYAML, as one JSON line.
const CAPTURE = `#!/usr/bin/env python3
import json, os, sys, yaml
argv = sys.argv[1:]
params = {}
for i, a in enumerate(argv):
    if a == "--params-file":
        with open(argv[i + 1]) as f:
            for section in (yaml.safe_load(f) or {}).values():
                params.update(section["ros__parameters"])
def typed(v):
    if isinstance(v, list):
        return ["array", [typed(x) for x in v]]
    return [{bool: "bool", int: "integer", float: "double", str: "string"}[type(v)], v]
with open(os.environ["TETHER_CAPTURE"], "a") as f:
    f.write(json.dumps({"argv": argv, "params": {k: typed(v) for k, v in params.items()}}) + "\\n")
`;

interface Captured {
  argv: string[];
  params: Record<string, [string, unknown]>;
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
  };
}

/** The ROS view of one captured process: -r rules, __node/__ns, launch_ros's parameter files. */
function rosView(c: Captured, prefix: string) {
  const exe = c.argv[0];
  const rosArgs = c.argv.slice(c.argv.indexOf("--ros-args") + 1);
  let name = basename(exe);
  let namespace = "";
  const remaps: { from: string; to: string }[] = [];
  for (let i = 0; i < rosArgs.length; i++) {
    if (rosArgs[i] !== "-r") continue;
    const [from, to] = rosArgs[++i].split(":=");
    if (from === "__node") name = to;
    else if (from === "__ns") namespace = to;
    else remaps.push({ from, to });
  }
  return {
    package: basename(dirname(exe)),
    executable: basename(exe),
    fullName: `${namespace}/${name}`,
    parameters: Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, untyped(v)])),
    remaps,
    args: c.argv.slice(1, c.argv.indexOf("--ros-args")),
    underPrefix: dirname(exe) === join(prefix, "lib", "tether"),
  };
}

describe.skipIf(!RUN_ROS_TESTS)("launch/ under ros2 launch and tether launch", () => {
  let dir: string;
  let prefix: string;
  let capture: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tether-launch-parity-"));
    prefix = join(dir, "install");
    installAmentPackage(prefix, defaultAmentSources(REPO_ROOT, Object.keys(NODE_REGISTRY)));
    capture = join(dir, "capture.py");
    writeFileSync(capture, CAPTURE);
    chmodSync(capture, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("has a case for every launch file", () => {
    const files = readdirSync(join(REPO_ROOT, "launch")).filter((f) => f.endsWith(".launch.xml"));
    expect(files.length).toBeGreaterThan(0);
    expect(new Set(CASES.map((c) => c.file))).toEqual(new Set(files));
  });

  it.each(CASES.map((c, i) => [`${c.file} ${JSON.stringify(c.args)}`, i] as const))(
    "%s: same nodes, parameters and remaps",
    async (_label, i) => {
      const { file, args } = CASES[i];
      const caseDir = mkdtempSync(join(dir, "case-"));
      const out = join(caseDir, "capture.jsonl");
      const ran = await runRos(
        "ros2",
        [
          "launch",
          "tether",
          file,
          ...Object.entries(args).map(([k, v]) => `${k}:=${v}`),
          "--launch-prefix",
          capture,
        ],
        {
          // TMPDIR: launch_ros writes each node's parameter file there (and never deletes it).
          env: rosEnv({ ...withPrefix(prefix), TETHER_CAPTURE: out, TMPDIR: caseDir }),
          cwd: caseDir,
        },
      );
      expect(ran.code, ran.stdout + ran.stderr).toBe(0);
      expect(existsSync(out), ran.stdout + ran.stderr).toBe(true);
      const captured = readFileSync(out, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Captured);

      const desc = interpretLaunchFile(join(REPO_ROOT, "launch", file), { args });
      expect(desc.nodes.length).toBeGreaterThan(0);
      const byName = <T extends { fullName: string }>(xs: T[]) =>
        [...xs].sort((a, b) => a.fullName.localeCompare(b.fullName));
      const tether = byName(desc.nodes.map(tetherView));

      const ros = byName(captured.map((c) => rosView(c, prefix)));
      expect(ros.every((r) => r.underPrefix)).toBe(true);
      expect(ros.map(({ underPrefix: _, ...r }) => r)).toEqual(tether);

      const viaWrapper = byName(
        captured.map((c) => nodeDescriptionFromArgs(basename(c.argv[0]), c.argv.slice(1)).nodes[0]),
      );
      expect(viaWrapper.map(tetherView)).toEqual(tether);
    },
  );
});
