/**
 * `tether ros install --prefix DIR`: the layout it writes, then ROS 2's own tools on it: ros2 pkg
 * prefix/executables/xml, catkin_pkg's package.xml parser, `ros2 run tether sim_robot`,
 * `ros2 launch tether sim.launch.xml` running real nodes seen by ros2 node/topic/param, and
 * `ros2 launch tether record.launch.xml` leaving a dataset.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { openDataset } from "../../src/data/dataset-reader.js";
import { NODE_REGISTRY } from "../../src/nodes/registry.js";
import { amentWrapper } from "../../src/ros/ament-package.js";
import { loadRobot, REPO_ROOT } from "../../src/robot/load.js";
import { tether } from "../cli/tether-process.js";
import { describeRos2, nodeList, ros2Env, run, start, waitUntil, type Proc } from "./ros2-env.js";

const DOMAIN = 221;

const NODES = Object.keys(NODE_REGISTRY).sort();
const LAUNCH_FILES = ["deploy", "finetune", "record", "replay", "sim"].map((f) => `${f}.launch.xml`);

let dir: string;
let prefix: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tether-ament-"));
  prefix = join(dir, "install");
  // A node that left the registry: a re-install must drop its wrapper.
  mkdirSync(join(prefix, "lib", "tether"), { recursive: true });
  writeFileSync(join(prefix, "lib", "tether", "old_node"), "#!/bin/sh\n");
  const r = await tether("ros", "install", "--prefix", prefix, "--json");
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("tether ros install", () => {
  it("writes package.xml, the resource index entry, the launch files and one wrapper per node", async () => {
    const r = await tether("ros", "install", "--prefix", prefix, "--json");
    const out = JSON.parse(r.stdout) as { prefix: string; executables: string[]; launch_files: string[] };
    expect(out.prefix).toBe(prefix);
    expect(out.executables).toEqual(NODES.map((n) => join(prefix, "lib", "tether", n)));
    expect(out.launch_files).toEqual(LAUNCH_FILES.map((f) => join(prefix, "share", "tether", "launch", f)));
    expect(existsSync(join(prefix, "share", "ament_index", "resource_index", "packages", "tether"))).toBe(
      true,
    );
    expect(existsSync(join(prefix, "lib", "tether", "old_node"))).toBe(false);
    // Links, so the installed package follows edits to the checkout's launch files.
    for (const f of LAUNCH_FILES)
      expect(readlinkSync(join(prefix, "share", "tether", "launch", f))).toBe(join(REPO_ROOT, "launch", f));
    for (const exe of out.executables) {
      expect(statSync(exe).mode & 0o111).toBe(0o111);
      const text = readFileSync(exe, "utf8");
      // Absolute paths to this node binary and this checkout: ros2 run starts it from anywhere.
      expect(text).toContain(`'${process.execPath}'`);
      expect(text).toContain(`'${join(REPO_ROOT, "src", "cli", "main.ts")}'`);
      expect(text).toMatch(/node run '[a-z_]+' --ros -- "\$@"/);
    }
  });

  it("quotes the wrapper's paths for sh and passes every ROS argument through unchanged", () => {
    // A stand-in node binary that prints its arguments, one a line, run by the real sh.
    const echoArgs = join(dir, "echo args");
    writeFileSync(echoArgs, '#!/bin/sh\nfor a in "$@"; do printf \'%s\\n\' "$a"; done\n');
    chmodSync(echoArgs, 0o755);
    const wrapper = join(dir, "wrapper");
    const repoRoot = join(dir, "it's a $HOME `checkout`");
    writeFileSync(
      wrapper,
      amentWrapper("sim_robot", {
        repoRoot,
        executables: [],
        nodeBin: echoArgs,
        tsxLoader: "file:///t x/loader.mjs",
      }),
    );
    chmodSync(wrapper, 0o755);
    const r = spawnSync(wrapper, ["--ros-args", "-p", "level:=a b", "-r", "__ns:=/x"], { encoding: "utf8" });
    expect(r.stdout.split("\n").slice(0, -1)).toEqual([
      "--import",
      "file:///t x/loader.mjs",
      join(repoRoot, "src", "cli", "main.ts"),
      "node",
      "run",
      "sim_robot",
      "--ros",
      "--",
      "--ros-args",
      "-p",
      "level:=a b",
      "-r",
      "__ns:=/x",
    ]);
  });

  it("rejects a prefix that is a file, naming it", async () => {
    const file = join(dir, "not-a-folder");
    writeFileSync(file, "");
    const r = await tether("ros", "install", "--prefix", file);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${file} exists and is not a folder`);
  });
});

/**
 * Ctrl-C in a terminal: SIGINT to the whole process group. ros2 run relies on it (it does not forward the
 * signal to the node), and under ros2 launch a node gets it twice (the terminal's, then launch's).
 */
function startInTerminal(args: string[], env: NodeJS.ProcessEnv): Proc & { ctrlC(): void } {
  // setsid: a process group of its own, led by the command (setsid execs it in place).
  const p = start("setsid", args, env);
  return {
    ...p,
    ctrlC() {
      if (p.child.pid !== undefined && p.child.exitCode === null) process.kill(-p.child.pid, "SIGINT");
      setTimeout(() => p.child.kill("SIGKILL"), 20_000).unref();
    },
  };
}

describeRos2("the installed package under ROS 2's tools", () => {
  const env = (): NodeJS.ProcessEnv => {
    const base = ros2Env(DOMAIN);
    return {
      ...base,
      AMENT_PREFIX_PATH: `${prefix}:${base.AMENT_PREFIX_PATH ?? ""}`,
      ROS_LOG_DIR: join(dir, "ros-log"),
      // launch_ros writes each node's parameters to a file in TMPDIR and never deletes it.
      TMPDIR: dir,
    };
  };
  const ros2 = async (...args: string[]) => (await run("ros2", args, env(), 60_000)).out;
  const names = async () => (await nodeList(env())).join(" ");

  it("ros2 pkg finds the package, its executables and its package.xml", async () => {
    expect((await ros2("pkg", "prefix", "tether")).trim()).toBe(prefix);
    const exes = (await ros2("pkg", "executables", "tether")).trim().split("\n");
    expect(exes).toEqual(NODES.map((n) => `tether ${n}`));
    const version = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).version as string;
    expect((await ros2("pkg", "xml", "tether", "-t", "version")).trim()).toBe(version);
    // catkin_pkg is what colcon and rosdep read package.xml with: it validates format 3's required fields.
    const parsed = await run(
      "python3",
      [
        "-c",
        "import sys; from catkin_pkg.package import parse_package; p = parse_package(sys.argv[1]); p.validate(); print(p.name, [d.name for d in p.exec_depends])",
        join(prefix, "share", "tether"),
      ],
      env(),
    );
    expect(parsed.code, parsed.out).toBe(0);
    expect(parsed.out).toMatch(/^tether \[.*'sensor_msgs'.*\]\n$/);
  });

  it("ros2 run tether sim_robot runs a real node with the given parameters and remaps", async () => {
    const name = "ament_run_sim";
    const topic = `/${name}/joint_states`;
    const node = startInTerminal(
      [
        "ros2",
        "run",
        "tether",
        "sim_robot",
        "--ros-args",
        "-p",
        "robot:=pendulum",
        "-p",
        "mode:=realtime",
        "-r",
        `__node:=${name}`,
        "-r",
        `/joint_states:=${topic}`,
      ],
      env(),
    );
    try {
      await node.waitFor(/pendulum in realtime mode/, 60_000);
      const echo = await ros2("topic", "echo", topic, "sensor_msgs/msg/JointState", "--once", "--no-daemon");
      expect(echo).toContain("- pendulum_joint");
      const mode = await ros2("param", "get", `/${name}`, "mode", "--no-daemon");
      expect(mode.trim()).toBe("String value is: realtime");
      await waitUntil(async () => (await nodeList(env())).includes(`/${name}`), `/${name} in ros2 node list`);
    } finally {
      node.ctrlC();
    }
    const end = await node.exited;
    expect(end.code, node.output()).toBe(0);
    expect(await nodeList(env())).not.toContain(`/${name}`);
  });

  it("ros2 launch tether sim.launch.xml starts sim_robot and behavior through launch_ros", async () => {
    const seed = "1234";
    const launch = startInTerminal(
      ["ros2", "launch", "tether", "sim.launch.xml", "robot:=pendulum", `seed:=${seed}`],
      env(),
    );
    try {
      await launch.waitFor(/\[sim_robot-\d+\].*pendulum in lockstep mode/, 60_000);
      await launch.waitFor(/\[behavior-\d+\].*pendulum behavior at level expert/, 60_000);
      await waitUntil(async () => (await names()) === "/behavior /sim_robot", "both nodes in ros2 node list");
      // Lock-step: sim_robot only steps on behavior's commands, so states flowing means the loop runs over DDS.
      const echo = await ros2(
        "topic",
        "echo",
        "/joint_states",
        "sensor_msgs/msg/JointState",
        "--once",
        "--no-daemon",
      );
      expect(echo).toContain("- pendulum_joint");
      const got = await ros2("param", "get", "/sim_robot", "seed", "--no-daemon");
      expect(got.trim()).toBe(`Integer value is: ${seed}`);
    } finally {
      launch.ctrlC();
    }
    const end = await launch.exited;
    expect(launch.output()).not.toMatch(/process has died/);
    expect(end.code, launch.output()).toBe(0);
    expect(await names()).toBe("");
  });

  it("ros2 launch tether record.launch.xml records a dataset (its include found through the ament index)", async () => {
    const out = join(dir, "recorded");
    const launch = startInTerminal(
      ["ros2", "launch", "tether", "record.launch.xml", "robot:=pendulum", "episodes:=2", `out:=${out}`],
      env(),
    );
    try {
      await launch.waitFor(/\[sim_robot-\d+\].*finished 2 episode\(s\)/, 90_000);
      // The last states may still be in flight over DDS when sim_robot says it finished; SIGINT only lets the
      // recorder take what has reached its queue (CI lost 1–2 of 500 in two of four runs without this pause).
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      launch.ctrlC();
    }
    const end = await launch.exited;
    expect(launch.output()).not.toMatch(/process has died/);
    expect(end.code, launch.output()).toBe(0);
    // The recorder writes on shutdown: a clean SIGINT is what leaves a dataset. ros2 launch starts the three
    // nodes in parallel; sim_robot waits for both /joint_states subscribers (wait_for_subscribers:=2 in
    // record.launch.xml), and on SIGINT the recorder takes what is still queued before it closes (Runtime
    // settle), so it has every state of both episodes: exact counts.
    const ds = openDataset(out);
    expect(ds.manifest.robot).toBe("pendulum");
    const { episodes, transitions } = ds.manifest.counts;
    expect(launch.output()).not.toMatch(/starting with \d+ of 2 subscriber/);
    expect(episodes, launch.output()).toBe(2);
    expect(transitions, launch.output()).toBe(2 * loadRobot("pendulum").spec.control.max_episode_steps);
    expect(launch.output()).toContain(`wrote ${episodes} episodes, ${transitions} transitions`);
  });
});
