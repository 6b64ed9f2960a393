import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TETHER_SHARE } from "../../src/launch/ament.js";
import { parseLaunchBool, substitute, type SubstitutionContext } from "../../src/launch/substitutions.js";
import { ros2AmentPrefixPath, runPython, skipWithoutRos2 } from "./ros2/python.js";

const CONTENT = join(mkdtempSync(join(tmpdir(), "tether-subst-")), "content.txt");
writeFileSync(CONTENT, "line one\nline 'two'\n");
const VARS = {
  robot: "reacher2",
  n: "3",
  mode: "sim",
  flag: "True",
  empty: "",
  which: "robot",
  content: CONTENT,
};
const ENV = { TETHER_TEST_HOME: "/h" };

const ctx = (
  vars: Record<string, string> = VARS,
  env: Record<string, string | undefined> = ENV,
): SubstitutionContext => ({
  file: "/x/a.launch.xml",
  line: 7,
  lookup: (n) => vars[n],
  env,
});

type Result = { ok: string } | { err: string };
const ours = (text: string): Result => {
  try {
    return { ok: substitute(text, ctx()) };
  } catch (err) {
    return { err: (err as Error).message };
  }
};

// Attribute texts as launch files write them; each is resolved by ROS 2's launch and by Tether.
const TEXTS = [
  "robot=$(var robot)!",
  "$(var $(var which))",
  "$(var missing fallback)",
  "$(var missing '')",
  "$(env TETHER_TEST_HOME)",
  "$(env TETHER_TEST_NOPE '')",
  "$(env TETHER_TEST_NOPE 'a default')",
  "$(eval 2^3)",
  "$(eval '7 // -2')",
  "$(eval \"'$(var mode)' == 'sim'\")",
  "$(eval \"'$(var mode)' in ['sim', 'real']\")",
  "$(eval '$(var n) * 2 + 1')",
  "$(eval '$(var n) / 2')",
  '$(eval \'$(var n) > 2 and "$(var robot)" != "x"\')',
  "$(eval 'pi')",
  "$(eval 'int(\"$(var n)\") ** 40')",
  "$(eval $(var n) * 2)",
  "$(not $(var flag))",
  "$(not 0)",
  "$(and true $(var flag))",
  "$(or false no)",
  "$(and yes off)",
  "$(not maybe)",
  "$(if $(var flag) on_true on_false)",
  "$(if false yes)",
  "$(equals $(var n) 3.0)",
  "$(equals True 1)",
  "$(equals abc abc)",
  "$(not-equals $(var mode) real)",
  "a\\$(var robot)",
  "C:\\dir\\file",
  "back\\\\slash",
  "$(var robot) and (parens) stay",
  "$(eval '(1 + 2) * 3')",
  "$(var  robot)",
  "$(var robot",
  "$(eval 'x' 'y' 'z')",
  "$(eval \"'a b' + 'c'\")",
  "'$(var robot)'",
  "$(var missing)",
  "$(find-pkg-share demo_nodes_cpp)/launch",
  "$(find-pkg-prefix demo_nodes_cpp)",
  "$(find-pkg-share no_such_package_x)",
  "$(find-exec sh)",
  "$(exec-in-pkg talker demo_nodes_cpp)",
  "$(command 'echo hello')",
  "$(command 'sh -c \"echo out; echo err 1>&2\"' ignore)",
  "$(command 'sh -c \"echo err 1>&2\"')",
  "$(command 'false')",
  "$(dirname)",
  "$(var robot)$(var n)/$(var mode)",
  "$(command \"echo '$(var robot)' $(var n)\")",
  '$(eval "$(var n) + 1")',
  '$(eval \'"$(var mode)" == "sim"\')',
  "$(if $(eval '$(var n) > 2') big small)",
  "$(var robot) $(var n)  two spaces kept",
  "\\$(var robot)",
  "$(env TETHER_TEST_HOME)/$(var robot).yaml",
  "$(find-exec no_such_program_x)",
  "$(file-content $(var content))",
  "$(file-content $(var content).missing)",
  "",
];

// Jazzy's launch exposes $(any) and $(all) but its XML parser passes their arguments wrongly (a TypeError
// on every use); Tether resolves them as launch's own Python API does.
const JAZZY_FAILS = ["$(any false 0 true)", "$(all true 1 false)"];

const ROS_ERRORS = [
  "$(eval $(var n) * 2)",
  "$(not maybe)",
  "$(var  robot)",
  "$(var robot",
  "$(eval 'x' 'y' 'z')",
  "$(var missing)",
  "$(find-pkg-share no_such_package_x)",
  "$(command 'sh -c \"echo err 1>&2\"')",
  "$(command 'false')",
  "$(dirname)",
  "$(find-exec no_such_program_x)",
  "$(file-content $(var content).missing)",
];

describe.skipIf(skipWithoutRos2)("launch substitutions, against ROS 2's launch", () => {
  it("resolves $(any) and $(all), which Jazzy's XML frontend cannot", () => {
    const ros = runPython(
      "substitute.py",
      { vars: VARS, env: ENV, texts: JAZZY_FAILS },
      { ros2: true },
    ) as Result[];
    expect(ros.map((r) => "err" in r)).toEqual([true, true]);
    expect(JAZZY_FAILS.map(ours)).toEqual([{ ok: "true" }, { ok: "false" }]);
  });

  it("resolves every text as launch.frontend does (or fails where it fails)", () => {
    const ros = runPython(
      "substitute.py",
      { vars: VARS, env: ENV, texts: TEXTS },
      { ros2: true },
    ) as Result[];
    const env = { ...process.env, ...ENV, AMENT_PREFIX_PATH: ros2AmentPrefixPath() };
    const mismatches: string[] = [];
    TEXTS.forEach((text, k) => {
      let mine: Result;
      try {
        mine = { ok: substitute(text, { ...ctx(VARS, env) }) };
      } catch (err) {
        mine = { err: (err as Error).message };
      }
      const r = ros[k];
      // $(dirname) depends on the including file, which the ROS side has none of.
      if (text === "$(dirname)") return;
      if ("ok" in r ? !("ok" in mine) || mine.ok !== r.ok : !("err" in mine))
        mismatches.push(`${text}: ROS 2 ${JSON.stringify(r)}, tether ${JSON.stringify(mine)}`);
    });
    expect(mismatches).toEqual([]);
    // Agreeing on an error proves little: these, and only these, are errors in ROS 2.
    expect(TEXTS.filter((_, k) => "err" in ros[k])).toEqual(ROS_ERRORS);
  });
});

describe("launch substitutions", () => {
  it("names the file, line and substitution in errors, with a true hint", () => {
    expect(ours("$(var nope)")).toEqual({
      err: expect.stringMatching(
        /^\/x\/a\.launch\.xml:7: \$\(var nope\): launch configuration "nope" is not set[\s\S]*pass nope:=<value> on the command line/,
      ),
    });
    expect(ours("$(eval '$(var robot) == 1')")).toEqual({
      err: expect.stringMatching(/name 'reacher2' is not defined[\s\S]*quote launch values/),
    });
    expect(ours("$(eval $(var n) * 2)")).toEqual({
      err: expect.stringMatching(/\$\(eval\) takes 1 or 2 arguments, got 3[\s\S]*quote an argument/),
    });
    expect(ours("$(arg robot)")).toEqual({ err: expect.stringMatching(/\$\(arg\) is a ROS 1 substitution/) });
    expect(ours("$(nope x)")).toEqual({ err: expect.stringMatching(/unknown substitution \$\(nope\)/) });
    expect(ours("$(var robot")).toEqual({ err: expect.stringMatching(/unterminated \$\(var/) });
  });

  it("finds packages through AMENT_PREFIX_PATH's resource index, and tether as the repository otherwise", () => {
    const prefix = mkdtempSync(join(tmpdir(), "tether-ament-"));
    mkdirSync(join(prefix, "share/ament_index/resource_index/packages"), { recursive: true });
    writeFileSync(join(prefix, "share/ament_index/resource_index/packages/my_robot"), "");
    const env = { AMENT_PREFIX_PATH: `/nonexistent:${prefix}` };
    expect(substitute("$(find-pkg-share my_robot)/urdf", ctx(VARS, env))).toBe(
      `${prefix}/share/my_robot/urdf`,
    );
    expect(substitute("$(find-pkg-prefix my_robot)", ctx(VARS, env))).toBe(prefix);
    expect(substitute("$(find-pkg-share tether)", ctx(VARS, env))).toBe(TETHER_SHARE);
    expect(() => substitute("$(find-pkg-share other)", ctx(VARS, env))).toThrow(
      `package "other" not found (searched /nonexistent, ${prefix})`,
    );
  });

  it("logs $(command) runs", () => {
    const lines: string[] = [];
    expect(substitute("$(command 'echo hi')", { ...ctx(VARS, process.env), log: (l) => lines.push(l) })).toBe(
      "hi\n",
    );
    expect(lines).toEqual(["[INFO] [launch]: /x/a.launch.xml:7: $(command) runs: echo hi"]);
  });

  it("reads if/unless as launch does: stripped, lower-cased true/1/false/0", () => {
    expect(parseLaunchBool(" TRUE ", "if", ctx())).toBe(true);
    expect(parseLaunchBool("True", "if", ctx())).toBe(true);
    expect(parseLaunchBool("0", "if", ctx())).toBe(false);
    expect(() => parseLaunchBool("yes", "unless", ctx())).toThrow(
      '/x/a.launch.xml:7: unless="yes": expected true or false',
    );
  });
});
