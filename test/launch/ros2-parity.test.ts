/**
 * `tether launch --print` against ROS 2's own launch: every launch file of test/launch/corpus (and the
 * launch XML that ROS 2's demo_nodes_cpp installs) is resolved by launch_ros through
 * test/launch/ros2/resolve_launch.py and by Tether; nodes, names, namespaces, parameters and remaps
 * must be equal. Package "tether" is installed into a temporary ament prefix for both sides.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TETHER_SHARE } from "../../src/launch/ament.js";
import type { NodeDescription } from "../../src/launch/description.js";
import { interpretLaunchFile } from "../../src/launch/interpreter.js";
import { SCRIPTS, ros2AmentPrefixPath, runPython, skipWithoutRos2 } from "./ros2/python.js";

const CORPUS = join(SCRIPTS, "..", "corpus");

interface Resolved {
  kind: string;
  package: string | null;
  executable?: string;
  plugin?: string;
  container?: string;
  name: string | null;
  namespace: string;
  parameters: Record<string, unknown>;
  remaps: string[][];
  args?: string[];
}
type RosResult = { nodes: Resolved[] } | { error: string };

interface Case {
  file: string;
  args?: Record<string, string>;
  /** ROS 2 refuses this file too; Tether's message must match this. */
  error?: RegExp;
}

const ERRORS = join(SCRIPTS, "..", "corpus-errors");

function demoLaunchFiles(): string[] {
  const share = "/opt/ros/jazzy/share/demo_nodes_cpp/launch";
  const out: string[] = [];
  for (const sub of ["topics", "services"]) {
    try {
      for (const f of readdirSync(join(share, sub))) if (f.endsWith(".xml")) out.push(join(share, sub, f));
    } catch {
      // demo_nodes_cpp not installed: the corpus still runs.
    }
  }
  return out;
}

const CASES: Case[] = [
  ...readdirSync(CORPUS)
    .filter((f) => f.endsWith(".launch.xml"))
    .sort()
    .map((f) => ({ file: join(CORPUS, f) })),
  {
    file: join(CORPUS, "autoware_style.launch.xml"),
    args: { vehicle_model: "other_vehicle", lidar_type: "ouster" },
  },
  {
    file: join(CORPUS, "autoware_style.launch.xml"),
    args: { launch_perception: "false", use_sim_time: "True" },
  },
  { file: join(CORPUS, "include_child.launch.xml"), args: { name: "direct" } },
  { file: join(CORPUS, "env_and_logic.launch.xml"), args: { debug: "1", sim: "false" } },
  { file: join(CORPUS, "ros2_control_demo.launch.xml"), args: { gui: "true", undeclared_extra: "x" } },
  { file: join(CORPUS, "groups_forwarding.launch.xml"), args: { robot: "r9" } },
  ...demoLaunchFiles().map((file) => ({ file })),
  { file: join(ERRORS, "ros1_style.launch.xml"), error: /:3: this is a ROS 1 launch file/ },
  { file: join(ERRORS, "unquoted_eval.launch.xml"), error: /:5: .*\$\(eval\) takes 1 or 2 arguments, got 3/ },
  {
    file: join(ERRORS, "unquoted_string_eval.launch.xml"),
    error: /:4: \$\(eval sim == 'sim'\): NameError: name 'sim' is not defined/,
  },
];
// include_child.launch.xml alone lacks its required argument "name", in ROS 2 as in Tether.
CASES[CASES.findIndex((c) => c.file.endsWith("include_child.launch.xml"))].error =
  /launch argument "name" is required/;

const label = (c: Case): string =>
  `${c.file
    .replace(`${CORPUS}/`, "corpus/")
    .replace(`${ERRORS}/`, "corpus-errors/")
    .replace(/^\/opt\/ros\/jazzy\/share\//, "")}${
    c.args
      ? ` ${Object.entries(c.args)
          .map(([k, v]) => `${k}:=${v}`)
          .join(" ")}`
      : ""
  }`;

/** A prefix holding package "tether" (the repository), as an ament install would. */
function tetherPrefix(): string {
  const prefix = mkdtempSync(join(tmpdir(), "tether-prefix-"));
  mkdirSync(join(prefix, "share/ament_index/resource_index/packages"), { recursive: true });
  writeFileSync(join(prefix, "share/ament_index/resource_index/packages/tether"), "");
  symlinkSync(TETHER_SHARE, join(prefix, "share/tether"));
  return prefix;
}

function tetherSide(c: Case, env: NodeJS.ProcessEnv): { nodes: Resolved[] } | { error: string } {
  try {
    const desc = interpretLaunchFile(c.file, { args: c.args, env, log: () => {} });
    return { nodes: desc.nodes.map(comparable) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** As resolve_launch.py writes values: JSON has no inf or nan. */
const jsonable = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(jsonable)
    : typeof v === "number" && !Number.isFinite(v)
      ? { nonfinite: Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf" }
      : v;

function comparable(n: NodeDescription): Resolved {
  return {
    kind: n.role ?? "node",
    package: n.package,
    ...(n.role === "composable"
      ? { plugin: n.plugin, container: n.container }
      : { executable: n.executable }),
    name: n.name,
    namespace: n.namespace,
    parameters: Object.fromEntries(Object.entries(n.parameters).map(([k, v]) => [k, jsonable(v)])),
    remaps: n.remaps.map((r) => [r.from, r.to]),
    ...(n.role === "composable" ? {} : { args: n.args }),
  };
}

/** ROS leaves an unnamed node's name to the executable, and an unset namespace unspecified. */
function normalizeRos(r: Resolved, tether: Resolved | undefined): Resolved {
  const out: Resolved = {
    ...r,
    namespace: r.namespace === "<node_namespace_unspecified>" ? "/" : r.namespace,
  };
  if (out.name === null && tether !== undefined) out.name = tether.name;
  return out;
}

describe.skipIf(skipWithoutRos2)("tether launch --print matches ROS 2's launch on the corpus", () => {
  let ros: RosResult[] = [];
  let env: NodeJS.ProcessEnv = {};
  beforeAll(() => {
    const prefix = tetherPrefix();
    // The ROS side sources ROS 2 itself when this shell has not; Tether reads the same prefixes.
    env = { ...process.env, AMENT_PREFIX_PATH: `${prefix}:${ros2AmentPrefixPath()}` };
    ros = runPython(
      "resolve_launch.py",
      { prefix, files: CASES.map((c) => ({ file: c.file, args: c.args ?? {} })) },
      { ros2: true },
    ) as RosResult[];
  }, 120_000);

  CASES.forEach((c, k) => {
    it(label(c), () => {
      const r = ros[k];
      const t = tetherSide(c, env);
      if (c.error !== undefined) {
        expect("error" in r ? "ROS 2 refuses it" : r).toBe("ROS 2 refuses it");
        expect("error" in t ? t.error : t).toMatch(c.error);
        return;
      }
      if ("error" in r) throw new Error(`ROS 2 could not resolve ${c.file}: ${r.error}`);
      expect("error" in t ? t.error : "").toBe("");
      const tn = (t as { nodes: Resolved[] }).nodes;
      expect(tn).toEqual(r.nodes.map((n, i) => normalizeRos(n, tn[i])));
    });
  });

  it("prints the same through the CLI: tether launch <file> --print", () => {
    const k = CASES.findIndex((c) => c.file.endsWith("autoware_style.launch.xml") && c.args !== undefined);
    const c = CASES[k];
    const args = Object.entries(c.args ?? {}).map(([n, v]) => `${n}:=${v}`);
    const stdout = execFileSync(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "launch", c.file, "--print", ...args],
      {
        cwd: TETHER_SHARE,
        env,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      },
    );
    const printed = (JSON.parse(stdout) as { nodes: NodeDescription[] }).nodes.map(comparable);
    const r = ros[k] as { nodes: Resolved[] };
    expect(printed).toEqual(r.nodes.map((n, i) => normalizeRos(n, printed[i])));
    expect(printed.length).toBeGreaterThan(0);
  }, 60_000);

  it("resolves nodes in every file ROS 2 resolves (not just matching errors)", () => {
    const resolved = ros.filter((r) => "nodes" in r && r.nodes.length > 0);
    expect(resolved.length).toBe(CASES.filter((c) => c.error === undefined).length);
  });
});
