import { describe, expect, it } from "vitest";
import { LaunchError } from "../../src/core/errors.js";
import {
  TETHER_SHARE,
  interpretLaunchFile,
  parseLaunchArgs,
  splitCommandLine,
} from "../../src/launch/interpreter.js";
import { checkRunnable } from "../../src/launch/runner.js";
import { launchDir } from "./helpers.js";

const L = (body: string) => `<launch>\n${body}\n</launch>\n`;

describe("launch arguments", () => {
  it("uses defaults, command-line values, descriptions and choices", () => {
    const t = launchDir();
    const file = t.write(
      "a.launch.xml",
      L(`<arg name="robot" default="reacher2" description="which robot"/>
<arg name="mode" default="lockstep"><choice value="lockstep"/><choice value="realtime"/></arg>
<node pkg="tether" exec="sim_robot"><param name="robot" value="$(var robot)"/><param name="mode" value="$(var mode)"/></node>`),
    );
    const d = interpretLaunchFile(file, { args: { mode: "realtime" } });
    expect(d.arguments.map((a) => [a.name, a.value, a.line])).toEqual([
      ["robot", "reacher2", 2],
      ["mode", "realtime", 3],
    ]);
    expect(d.arguments[0].description).toBe("which robot");
    expect(d.arguments[1].choices).toEqual(["lockstep", "realtime"]);
    expect(d.nodes[0].parameters).toEqual({ robot: "reacher2", mode: "realtime" });
  });

  it("rejects a value outside choices, a missing required arg and unknown command-line args", () => {
    const t = launchDir();
    const file = t.write("a.launch.xml", L(`<arg name="mode"><choice value="lockstep"/></arg>`));
    expect(() => interpretLaunchFile(file, { args: { mode: "fast" } })).toThrow(
      `${file}:2: launch argument "mode" is "fast", expected one of: lockstep`,
    );
    expect(() => interpretLaunchFile(file)).toThrow(
      `${file}:2: launch argument "mode" is required (it has no default)`,
    );
    // ROS 2 sets undeclared name:=value arguments as launch configurations; Tether warns and does too.
    const lines: string[] = [];
    const lenient = t.write(
      "b.launch.xml",
      L(
        `<let name="seen" value="$(var robto)"/><node pkg="tether" exec="a"><param name="v" value="$(var seen)"/></node>`,
      ),
    );
    expect(
      interpretLaunchFile(lenient, { args: { robto: "x" }, log: (l) => lines.push(l) }).nodes[0].parameters,
    ).toEqual({ v: "x" });
    expect(lines).toEqual([
      "[WARN] [launch]: argument robto is not declared by any <arg> (it is still set, as in ROS 2)",
    ]);
    expect(() => parseLaunchArgs(["robot=x"])).toThrow(/name:=value/);
    expect(parseLaunchArgs(["robot:=a:=b"])).toEqual({ robot: "a:=b" });
  });

  it("sets let values and evaluates if/unless with eval", () => {
    const t = launchDir();
    const file = t.write(
      "a.launch.xml",
      L(`<arg name="n" default="3"/>
<let name="twice" value="$(eval '$(var n) * 2')"/>
<node pkg="tether" exec="a" if="$(eval '$(var twice) > 5')"/>
<node pkg="tether" exec="b" unless="$(eval '$(var n) == 3')"/>
<node pkg="tether" exec="c" if="False"/>
<node pkg="tether" exec="d" unless="0"><param name="twice" value="$(var twice)"/></node>`),
    );
    const d = interpretLaunchFile(file);
    expect(d.nodes.map((n) => n.name)).toEqual(["a", "d"]);
    expect(d.nodes[1].parameters).toEqual({ twice: 6 });
  });
});

describe("nodes, params, remaps, namespaces", () => {
  it("resolves names, namespaces, typed params, nested params, param files, remaps, args and ros_args", () => {
    const t = launchDir();
    t.write(
      "params.yaml",
      "/**:\n  ros__parameters:\n    common: 1\nsim:\n  ros__parameters:\n    gains: {kp: 2.5, kd: 0.1}\n",
    );
    const file = t.write(
      "a.launch.xml",
      L(`<node pkg="tether" exec="sim_robot" name="sim" namespace="robot1" args="--fast 'two words'" output="screen" ros_args="-p extra:=7 -r in:=/out">
  <param name="seed" value="42"/>
  <param name="rate" value="0.5"/>
  <param name="on" value="true"/>
  <param name="label" value="hello"/>
  <param name="list" value="1,2,3" value-sep=","/>
  <param name="limits"><param name="effort" value="0.2"/><param name="names" value="[a, b]"/></param>
  <param from="params.yaml"/>
  <remap from="joint_states" to="/robot1/js"/>
</node>`),
    );
    const [n] = interpretLaunchFile(file).nodes;
    expect(n).toMatchObject({
      package: "tether",
      executable: "sim_robot",
      name: "sim",
      namespace: "/robot1",
      fullName: "/robot1/sim",
      output: "screen",
      line: 2,
    });
    expect(n.args).toEqual(["--fast", "two words"]);
    expect(n.parameters).toEqual({
      seed: 42,
      rate: 0.5,
      on: true,
      label: "hello",
      list: [1, 2, 3],
      "limits.effort": 0.2,
      "limits.names": ["a", "b"],
      common: 1,
      "gains.kp": 2.5,
      "gains.kd": 0.1,
      extra: 7,
    });
    expect(n.parameterFiles).toEqual([`${t.dir}/params.yaml`]);
    expect(n.remaps).toEqual([
      { from: "joint_states", to: "/robot1/js" },
      { from: "in", to: "/out" },
    ]);
  });

  it("pushes namespaces in groups (scoped by default, leaking when scoped=false), absolute node namespaces win", () => {
    const t = launchDir();
    const file = t.write(
      "a.launch.xml",
      L(`<group>
  <push-ros-namespace namespace="left"/>
  <let name="side" value="L"/>
  <node pkg="tether" exec="a"/>
  <group><push-ros-namespace namespace="arm"/><node pkg="tether" exec="b"/></group>
  <node pkg="tether" exec="c" namespace="/abs"/>
  <node pkg="tether" exec="d" namespace="rel"/>
</group>
<node pkg="tether" exec="e"/>
<group scoped="false"><push-ros-namespace namespace="/right"/><let name="side" value="R"/></group>
<node pkg="tether" exec="f"><param name="side" value="$(var side)"/></node>`),
    );
    const d = interpretLaunchFile(file);
    expect(d.nodes.map((n) => n.fullName)).toEqual([
      "/left/a",
      "/left/arm/b",
      "/abs/c",
      "/left/rel/d",
      "/e",
      "/right/f",
    ]);
    expect(d.nodes[5].parameters.side).toBe("R");
  });

  it("warns about duplicate node names (refused when run) and rejects bad names with the line", () => {
    const t = launchDir();
    const dup = t.write(
      "d.launch.xml",
      L(`<node pkg="tether" exec="a"/>\n<node pkg="tether" exec="x" name="a"/>`),
    );
    // launch_ros warns and starts both; Tether warns too, and refuses to run them (one graph, one name).
    const lines: string[] = [];
    const desc = interpretLaunchFile(dup, { log: (l) => lines.push(l) });
    expect(lines).toEqual([`[WARN] [launch_ros]: ${dup}:3: two nodes are named /a (the other at ${dup}:2)`]);
    expect(() => checkRunnable(desc, { a: async () => () => {}, x: async () => () => {} })).toThrow(
      `${dup}:3: two nodes are named /a (the other at ${dup}:2)`,
    );
    const bad = t.write("b.launch.xml", L(`<node pkg="tether" exec="a" name="bad-name"/>`));
    expect(() => interpretLaunchFile(bad)).toThrow(`${bad}:2: <node name="bad-name">`);
    const badNs = t.write("n.launch.xml", L(`<node pkg="tether" exec="a" namespace="1x"/>`));
    expect(() => interpretLaunchFile(badNs)).toThrow(new RegExp(`${badNs}:2: invalid ROS name`));
  });
});

describe("include and executable", () => {
  it("includes files with args (relative to the including file), not scoped (as in ROS 2), inheriting the namespace", () => {
    const t = launchDir();
    t.write(
      "child.launch.xml",
      L(`<arg name="robot" default="pendulum"/>
<let name="leak" value="yes"/>
<node pkg="tether" exec="sim_robot"><param name="robot" value="$(var robot)"/></node>`),
    );
    const file = t.write(
      "parent.launch.xml",
      L(`<push-ros-namespace namespace="sim"/>
<include file="child.launch.xml"><arg name="robot" value="reacher2"/></include>
<node pkg="tether" exec="probe"><param name="leak" value="$(var leak)"/><param name="robot" value="$(var robot)"/></node>
<include file="$(dirname)/child.launch.xml"><arg name="robot" value="pendulum"/></include>`),
    );
    // ROS 2's include does not scope: the child's lets and args stay set after it (wrap it in <group> to scope),
    // so the second include's node clashes with the first one's name.
    const warnings: string[] = [];
    interpretLaunchFile(file, { log: (l) => warnings.push(l) });
    expect(warnings).toEqual([expect.stringMatching(/two nodes are named \/sim\/sim_robot/)]);
    const leaky = t.write(
      "leaky.launch.xml",
      L(`<include file="child.launch.xml"><arg name="robot" value="reacher2"/></include>
<node pkg="tether" exec="probe"><param name="leak" value="$(var leak)"/><param name="robot" value="$(var robot)"/></node>`),
    );
    expect(interpretLaunchFile(leaky).nodes[1].parameters).toEqual({ leak: true, robot: "reacher2" }); // "yes" is YAML 1.1 true, as launch reads it
    const scopedParent = t.write(
      "scoped.launch.xml",
      L(`<group><include file="child.launch.xml"/></group>
<let name="probe" value="$(var leak)"/>`),
    );
    expect(() => interpretLaunchFile(scopedParent)).toThrow(
      /scoped\.launch\.xml:3: \$\(var leak\): launch configuration "leak" is not set/,
    );
    const ok = t.write(
      "ok.launch.xml",
      L(`<push-ros-namespace namespace="sim"/>
<include file="child.launch.xml"><arg name="robot" value="reacher2"/></include>`),
    );
    const d = interpretLaunchFile(ok);
    expect(d.nodes[0]).toMatchObject({
      fullName: "/sim/sim_robot",
      parameters: { robot: "reacher2" },
      file: `${t.dir}/child.launch.xml`,
      line: 4,
    });
    expect(d.files).toEqual([`${t.dir}/ok.launch.xml`, `${t.dir}/child.launch.xml`]);
  });

  it("reports errors inside an included file with that file's name and line, and a missing include", () => {
    const t = launchDir();
    const child = t.write("bad.launch.xml", "<launch>\n\n<nod pkg='tether'/>\n</launch>");
    const file = t.write(
      "p.launch.xml",
      L(`<include file="bad.launch.xml"/>\n<include file="missing.launch.xml"/>`),
    );
    expect(() => interpretLaunchFile(file)).toThrow(`${child}:3: unknown tag <nod>`);
    const file2 = t.write("p2.launch.xml", L(`<include file="missing.launch.xml"/>`));
    expect(() => interpretLaunchFile(file2)).toThrow(
      `${file2}:2: included file not found: ${t.dir}/missing.launch.xml`,
    );
    const py = t.write("p3.launch.xml", L(`<include file="x.launch.py"/>`));
    t.write("x.launch.py", "");
    expect(() => interpretLaunchFile(py)).toThrow(/Python launch files are not supported/);
  });

  it("describes executables with cmd, args, cwd, name, env", () => {
    const t = launchDir();
    const file = t.write(
      "a.launch.xml",
      L(
        `<executable cmd="node -e 'console.log(1)'" args="--flag x" cwd="/tmp" name="printer" output="screen"><env name="A" value="$(eval 1+1)"/></executable>`,
      ),
    );
    expect(interpretLaunchFile(file).processes).toEqual([
      {
        name: "printer",
        cmd: ["node", "-e", "console.log(1)", "--flag", "x"],
        cwd: "/tmp",
        env: { A: "2" },
        output: "screen",
        file,
        line: 2,
      },
    ]);
  });

  it("resolves $(find-pkg-share tether) to the repository", () => {
    const t = launchDir();
    const file = t.write(
      "a.launch.xml",
      L(
        `<let name="r" value="$(find-pkg-share tether)"/><node pkg="tether" exec="a"><param name="root" value="$(var r)"/></node>`,
      ),
    );
    expect(interpretLaunchFile(file).nodes[0].parameters.root).toBe(TETHER_SHARE);
    expect(TETHER_SHARE.endsWith("main") || TETHER_SHARE.length > 0).toBe(true);
  });
});

describe("malformed launch files", () => {
  const cases: [string, string, RegExp][] = [
    ["unknown tag", L(`<arg name="a" default="1"/>\n<nodee pkg="x"/>`), /:3: unknown tag <nodee>/],
    [
      "unknown attribute",
      L(`<node pkg="tether" exec="a" nmae="x"/>`),
      /:2: <node>: unknown attribute "nmae"[\s\S]*expected one of: pkg, exec/,
    ],
    [
      "misplaced child",
      L(`<group><param name="a" value="1"/></group>`),
      /:2: <param> is not allowed inside <group>/,
    ],
    ["missing attribute", L(`<node pkg="tether"/>`), /:2: <node> needs a exec= attribute/],
    [
      "bad output",
      L(`<node pkg="tether" exec="a" output="tty"/>`),
      /:2: <node output="tty">: expected one of screen, log, both/,
    ],
    ["root", `<robot/>`, /:1: the root element must be <launch>, found <robot>/],
    ["unclosed tag", `<launch>\n<node pkg="tether" exec="a">\n</launch>`, /:3: malformed XML/],
    ["text", `<launch>\n  hello\n</launch>`, /unexpected text "hello" inside <launch>/],
    [
      "param without value",
      L(`<node pkg="tether" exec="a"><param name="x"/></node>`),
      /:2: <param name="x"> needs value=/,
    ],
    ["bad if", L(`<node pkg="tether" exec="a" if="maybe"/>`), /:2: if="maybe": expected true or false/],
    [
      "bad ros_args",
      L(`<node pkg="tether" exec="a" ros_args="--enclave /x"/>`),
      /:2: ros_args: unsupported "--enclave"/,
    ],
    [
      "bad param file",
      L(`<node pkg="tether" exec="a"><param from="nope.yaml"/></node>`),
      /:2: cannot read parameter file/,
    ],
  ];
  for (const [what, xml, message] of cases) {
    it(`rejects ${what}`, () => {
      const file = launchDir().write("bad.launch.xml", xml);
      let err: unknown;
      try {
        interpretLaunchFile(file);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LaunchError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message.startsWith(file)).toBe(true);
    });
  }

  it("splits command lines like a shell", () => {
    expect(splitCommandLine(`a "b c" 'd e' f\\ g ""`, "f", 1)).toEqual(["a", "b c", "d e", "f g", ""]);
    expect(() => splitCommandLine(`a "b`, "f", 1)).toThrow(/unterminated " quote/);
  });
});

describe("ROS 2 actions beyond nodes", () => {
  it("reads ros_args --params-file and --log-level", () => {
    const t = launchDir();
    t.write("p.yaml", "a:\n  ros__parameters:\n    gain: 3\n");
    const file = t.write(
      "a.launch.xml",
      L(`<node pkg="tether" exec="a" ros_args="--params-file p.yaml --log-level debug -p x:=1"/>`),
    );
    const [n] = interpretLaunchFile(file).nodes;
    expect(n.parameters).toEqual({ gain: 3, x: 1 });
    expect(n.parameterFiles).toEqual([`${t.dir}/p.yaml`]);
    expect(n.logLevels).toEqual(["debug"]);
  });

  it("logs <log> messages, delays <timer> actions and hands environment changes to executables", () => {
    const t = launchDir();
    const file = t.write(
      "a.launch.xml",
      L(`<set_env name="TETHER_T1" value="one"/>
<unset_env name="HOME"/>
<append_env name="TETHER_T1" value="two" separator=";"/>
<log message="env is $(env TETHER_T1)"/>
<timer period="1.5"><timer period="0.5"><executable cmd="echo $TETHER_T1 | tr a-z A-Z" shell="true" name="sh"/></timer></timer>`),
    );
    const lines: string[] = [];
    const d = interpretLaunchFile(file, {
      env: { HOME: "/root", PATH: "/usr/bin" },
      log: (l) => lines.push(l),
    });
    expect(lines).toEqual(["[INFO] [launch.user]: env is one;two"]);
    expect(d.processes).toEqual([
      expect.objectContaining({
        name: "sh",
        cmd: ["echo $TETHER_T1 | tr a-z A-Z"],
        shell: true,
        env: { TETHER_T1: "one;two" },
        unsetEnv: ["HOME"],
        delay: 2,
      }),
    ]);
  });

  it("names ROS 1 and YAML launch files as such", () => {
    const t = launchDir();
    const ros1 = t.write(
      "r1.launch",
      `<launch>\n  <node name="a" pkg="turtlesim" type="turtlesim_node"/>\n</launch>`,
    );
    expect(() => interpretLaunchFile(ros1)).toThrow(
      `${ros1}:2: this is a ROS 1 launch file (<node type="turtlesim_node"> is ROS 1 syntax)`,
    );
    t.write("x.launch.yaml", "launch: []\n");
    const yaml = t.write("y.launch.xml", L(`<include file="x.launch.yaml"/>`));
    expect(() => interpretLaunchFile(yaml)).toThrow(
      `${yaml}:2: ${t.dir}/x.launch.yaml: YAML launch files are not supported by tether launch`,
    );
  });
});
