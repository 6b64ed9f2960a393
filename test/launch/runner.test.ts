import { describe, expect, it } from "vitest";
import { LaunchError } from "../../src/core/errors.js";
import { interpretLaunchFile } from "../../src/launch/interpreter.js";
import { checkRunnable, startLaunch, type NodeRegistry } from "../../src/launch/runner.js";
import { embeddedRuntime } from "../../src/ros/runtime.js";
import type { Node } from "../../src/ros/node.js";
import type { DiagnosticStatus } from "../../src/msgs/types.js";
import { launchDir } from "./helpers.js";

const received: { node: string; data: string }[] = [];
const closed: string[] = [];

const registry: NodeRegistry = {
  talker: async () => (node: Node) => {
    const text = node.declareParameter("text", "hello");
    const pub = node.createPublisher("std_msgs/msg/String", "chatter");
    const timer = node.createTimer(2, () =>
      pub.publish({ data: `${text} from ${node.fullyQualifiedName()}` }),
    );
    return {
      close: () => {
        timer.cancel();
        closed.push(node.fullyQualifiedName());
      },
    };
  },
  listener: async () => (node: Node, args: string[]) => {
    node.createSubscription("std_msgs/msg/String", "chatter", {}, (m) =>
      received.push({ node: `${node.fullyQualifiedName()} ${args.join(" ")}`, data: m.data }),
    );
  },
};

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("launch runner", () => {
  it("composes tether nodes in-process with namespaces, params, remaps and args, and closes them on shutdown", async () => {
    const t = launchDir();
    const file = t.write(
      "a.launch.xml",
      `<launch>
  <group><push-ros-namespace namespace="demo"/>
    <node pkg="tether" exec="talker" name="talker"><param name="text" value="hi"/></node>
  </group>
  <node pkg="tether" exec="listener" name="listener" args="--tag one"><remap from="chatter" to="/demo/chatter"/></node>
</launch>`,
    );
    const runtime = embeddedRuntime({ logSink: () => {} });
    const handle = await startLaunch(interpretLaunchFile(file), { runtime, registry, log: () => {} });
    await until(() => received.length >= 3);
    expect(received[0]).toEqual({ node: "/listener --tag one", data: "hi from /demo/talker" });
    expect(runtime.embedded?.graph().nodes.map((n) => n.fullName)).toEqual(["/demo/talker", "/listener"]);
    await handle.shutdown();
    expect(closed).toContain("/demo/talker");
    expect(runtime.embedded?.isShutdown()).toBe(true);
  });

  it("runs executables as child processes and stops them with SIGINT on shutdown", async () => {
    const t = launchDir();
    const script = t.write(
      "child.mjs",
      `process.on("SIGINT", () => { console.log("got SIGINT"); process.exit(0); });
console.log("child up " + process.env.GREETING);
setInterval(() => {}, 1000);`,
    );
    const file = t.write(
      "a.launch.xml",
      `<launch><executable cmd="${process.execPath} ${script}" name="child" output="screen"><env name="GREETING" value="hello"/></executable></launch>`,
    );
    const lines: string[] = [];
    const handle = await startLaunch(interpretLaunchFile(file), {
      runtime: embeddedRuntime({ logSink: () => {} }),
      registry,
      log: (l) => lines.push(l),
    });
    await until(() => lines.some((l) => l.includes("child up hello")));
    await handle.shutdown();
    const exit = await handle.processes[0].exited;
    expect(exit.code).toBe(0);
    expect(lines.some((l) => /\[child-\d+\] got SIGINT/.test(l))).toBe(true);
    expect(lines.some((l) => /process \[child-\d+\] has finished cleanly/.test(l))).toBe(true);
  });

  it("reports a throwing callback of any launched node on /diagnostics as an ERROR naming node and callback", async () => {
    const t = launchDir();
    const file = t.write(
      "a.launch.xml",
      `<launch><node pkg="tether" exec="thrower" name="thrower"/></launch>`,
    );
    let calls = 0;
    const withThrower: NodeRegistry = {
      ...registry,
      thrower: async () => (node: Node) => {
        const timer = node.createTimer(2, function tick() {
          if (++calls === 2) throw new Error("boom");
        });
        return { close: () => timer.cancel() };
      },
    };
    const runtime = embeddedRuntime({ logSink: () => {} });
    const failures: unknown[] = [];
    runtime.embedded!.errors$.subscribe((f) => failures.push(f));
    const statuses: DiagnosticStatus[] = [];
    runtime
      .embedded!.createNode("diag_listener")
      .createSubscription("diagnostic_msgs/msg/DiagnosticArray", "/diagnostics", {}, (m) =>
        statuses.push(...m.status),
      );
    const lines: string[] = [];
    const handle = await startLaunch(interpretLaunchFile(file), {
      runtime,
      registry: withThrower,
      log: (l) => lines.push(l),
    });
    await until(() => statuses.length > 0 && calls > 3);
    await handle.shutdown();
    expect(statuses[0]).toMatchObject({
      level: 2,
      name: "tether/node_callback",
      message: "/thrower: timer tick (2 ms) threw: boom",
      hardware_id: "/thrower",
    });
    expect(lines).toContain("[ERROR] [launch]: /thrower: timer tick (2 ms) threw: boom");
    expect(failures).toEqual([]); // handled at the node edge, and the timer kept running
  });

  it("refuses nodes of other packages, naming the package and the line, before starting anything", () => {
    const t = launchDir();
    const file = t.write(
      "a.launch.xml",
      `<launch>\n<node pkg="tether" exec="talker"/>\n<node pkg="demo_nodes_cpp" exec="talker" name="cpp_talker"/>\n</launch>`,
    );
    expect(() => checkRunnable(interpretLaunchFile(file), registry)).toThrow(LaunchError);
    expect(() => checkRunnable(interpretLaunchFile(file), registry)).toThrow(
      `${file}:3: node /cpp_talker: package "demo_nodes_cpp" is not available in the embedded runtime`,
    );
    const file2 = t.write("b.launch.xml", `<launch>\n<node pkg="tether" exec="walker"/>\n</launch>`);
    expect(() => checkRunnable(interpretLaunchFile(file2), registry)).toThrow(
      /b\.launch\.xml:2: node \/walker: package "tether" has no executable "walker"[\s\S]*listener, talker/,
    );
  });

  it("shuts down what started when a node factory fails", async () => {
    const t = launchDir();
    const file = t.write(
      "a.launch.xml",
      `<launch><node pkg="tether" exec="talker" name="ok"/><node pkg="tether" exec="broken"/></launch>`,
    );
    const runtime = embeddedRuntime({ logSink: () => {} });
    const broken: NodeRegistry = {
      ...registry,
      broken: async () => () => {
        throw new Error("cannot start");
      },
    };
    await expect(
      startLaunch(interpretLaunchFile(file), { runtime, registry: broken, log: () => {} }),
    ).rejects.toThrow("cannot start");
    expect(runtime.embedded?.isShutdown()).toBe(true);
    expect(closed).toContain("/ok");
  });

  it("loads tether components of a node_container and load_composable_node into this process", async () => {
    const t = launchDir();
    const file = t.write(
      "c.launch.xml",
      `<launch>
  <node_container pkg="rclcpp_components" exec="component_container" name="box" namespace="">
    <composable_node pkg="tether" plugin="tether::talker" name="talker" namespace="comp"><param name="text" value="component"/></composable_node>
  </node_container>
  <load_composable_node target="/box">
    <composable_node pkg="tether" plugin="listener" name="listener"><remap from="chatter" to="/comp/chatter"/></composable_node>
  </load_composable_node>
</launch>`,
    );
    const runtime = embeddedRuntime({ logSink: () => {} });
    const before = received.length;
    const handle = await startLaunch(interpretLaunchFile(file), { runtime, registry, log: () => {} });
    await until(() => received.length >= before + 2);
    expect(received.at(-1)).toEqual({ node: "/listener ", data: "component from /comp/talker" });
    expect(runtime.embedded?.graph().nodes.map((n) => n.fullName)).toEqual(["/comp/talker", "/listener"]);
    await handle.shutdown();
  });

  it("refuses foreign components by name, and prints them", () => {
    const t = launchDir();
    const file = t.write(
      "f.launch.xml",
      `<launch>
<node_container pkg="rclcpp_components" exec="component_container" name="box">
<composable_node pkg="demo_nodes_cpp" plugin="demo_nodes_cpp::Talker" name="cpp_talker"/>
</node_container>
</launch>`,
    );
    const desc = interpretLaunchFile(file);
    expect(desc.nodes.map((n) => [n.role, n.fullName, n.container ?? null])).toEqual([
      ["container", "/box", null],
      ["composable", "/cpp_talker", "/box"],
    ]);
    expect(() => checkRunnable(desc, registry)).toThrow(`${file}:2: node /box: package "rclcpp_components"`);
    const only = { ...desc, nodes: desc.nodes.filter((n) => n.role === "composable") };
    expect(() => checkRunnable(only, registry)).toThrow(
      `${file}:3: composable node /cpp_talker (demo_nodes_cpp::Talker from package "demo_nodes_cpp"): package "demo_nodes_cpp" is not available`,
    );
  });

  it("respawns an executable after respawn_delay and starts <timer> actions late", async () => {
    const t = launchDir();
    const script = t.write("once.mjs", `console.log("run " + process.env.MARK); process.exit(3);`);
    const file = t.write(
      "r.launch.xml",
      `<launch>
<set_env name="MARK" value="m1"/>
<executable cmd="${process.execPath} ${script}" name="once" respawn="true" respawn_delay="0.05"/>
<timer period="0.2"><node pkg="tether" exec="listener" name="late"/></timer>
</launch>`,
    );
    const lines: string[] = [];
    const runtime = embeddedRuntime({ logSink: () => {} });
    const handle = await startLaunch(interpretLaunchFile(file), {
      runtime,
      registry,
      log: (l) => lines.push(l),
    });
    expect(runtime.embedded?.graph().nodes.map((n) => n.fullName)).toEqual([]);
    await until(() => lines.filter((l) => l.includes("run m1")).length >= 2, 20_000);
    await until(() => (runtime.embedded?.graph().nodes.length ?? 0) === 1, 20_000);
    expect(runtime.embedded?.graph().nodes.map((n) => n.fullName)).toEqual(["/late"]);
    await handle.shutdown();
    // Output of the last run may still be in its pipe; after that, nothing respawns.
    await new Promise((r) => setTimeout(r, 200));
    const runs = lines.filter((l) => l.includes("run m1")).length;
    await new Promise((r) => setTimeout(r, 300));
    expect(lines.filter((l) => l.includes("run m1")).length).toBe(runs);
  }, 30_000);
});
