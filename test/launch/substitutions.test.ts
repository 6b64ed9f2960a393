import { describe, expect, it } from "vitest";
import { LaunchError } from "../../src/core/errors.js";
import {
  evalLaunchExpression,
  parseLaunchBool,
  substitute,
  type SubstitutionContext,
} from "../../src/launch/substitutions.js";

const ctx = (vars: Record<string, string> = {}, env: Record<string, string> = {}): SubstitutionContext => ({
  file: "/x/a.launch.xml",
  line: 7,
  lookup: (n) => vars[n],
  findPkgShare: (p) => (p === "tether" ? "/repo" : undefined),
  env,
  dirname: "/x",
});

describe("launch substitutions", () => {
  it("substitutes var, env (with default), find-pkg-share and dirname, nested", () => {
    expect(substitute("robot=$(var robot)!", ctx({ robot: "reacher2" }))).toBe("robot=reacher2!");
    expect(substitute("$(env HOME_X)", ctx({}, { HOME_X: "/h" }))).toBe("/h");
    expect(substitute("$(env NOPE fallback)", ctx())).toBe("fallback");
    expect(substitute("$(find-pkg-share tether)/robots", ctx())).toBe("/repo/robots");
    expect(substitute("$(dirname)/p.yaml", ctx())).toBe("/x/p.yaml");
    expect(substitute("$(var $(var which))", ctx({ which: "a", a: "A" }))).toBe("A");
    expect(substitute("no substitutions", ctx())).toBe("no substitutions");
  });

  it("evaluates arithmetic and comparisons only, printing booleans as true/false", () => {
    expect(substitute("$(eval $(var n) * 2 + 1)", ctx({ n: "3" }))).toBe("7");
    expect(substitute("$(eval '$(var n) > 2')", ctx({ n: "3" }))).toBe("true");
    expect(substitute("$(eval 1 / 4)", ctx())).toBe("0.25");
    expect(evalLaunchExpression("True && !False", ctx())).toBe("true");
    expect(evalLaunchExpression("2 == 3", ctx())).toBe("false");
    expect(evalLaunchExpression("max(2, 5) % 3", ctx())).toBe("2");
  });

  it("never evaluates code or strings in $(eval)", () => {
    expect(() => evalLaunchExpression("__import__('os').system('echo hi')", ctx())).toThrow(LaunchError);
    expect(() => evalLaunchExpression("reacher2 == reacher2", ctx())).toThrow(/"reacher2" is not a number/);
    expect(() => substitute("$(eval 'a' == 'a')", ctx())).toThrow(/a\.launch\.xml:7: \$\(eval a == a\)/);
  });

  it("reports unknown substitutions, unset vars, missing env and unknown packages with file and line", () => {
    expect(() => substitute("$(anon x)", ctx())).toThrow("/x/a.launch.xml:7: unknown substitution $(anon)");
    expect(() => substitute("$(var nope)", ctx())).toThrow(
      /a\.launch\.xml:7: \$\(var nope\): launch configuration "nope" is not set/,
    );
    expect(() => substitute("$(env NOPE_X)", ctx())).toThrow(/environment variable NOPE_X is not set/);
    expect(() => substitute("$(find-pkg-share ur_description)", ctx())).toThrow(
      /package "ur_description" not found/,
    );
    expect(() => substitute("$(var robot", ctx())).toThrow(/unterminated \$\(var/);
    expect(() => substitute("$(var a b)", ctx())).toThrow(/takes 1 argument/);
  });

  it("accepts true/false/True/False/1/0 for if and unless", () => {
    expect(parseLaunchBool("True", "if", ctx())).toBe(true);
    expect(parseLaunchBool("0", "if", ctx())).toBe(false);
    expect(() => parseLaunchBool("yes", "unless", ctx())).toThrow(
      '/x/a.launch.xml:7: unless="yes": expected true or false',
    );
  });
});
