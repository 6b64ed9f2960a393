import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { NodeError } from "../../src/ros/node.js";
import { ParameterStore, parameterFromString, parametersFromYaml } from "../../src/ros/parameters.js";

describe("parameters", () => {
  it("uses overrides over declared defaults and keeps declared types", () => {
    const p = new ParameterStore("/n", { rate: 50, names: ["a", "b"] });
    expect(p.declare("rate", 10)).toBe(50);
    expect(p.declare("robot", "reacher2")).toBe("reacher2");
    expect(p.declare("names", [] as string[])).toEqual(["a", "b"]);
    p.set("rate", 25);
    expect(p.get("rate")).toBe(25);
    expect(() => p.set("rate", "fast")).toThrow(/parameter "rate" is number, cannot set it to string/);
    expect(() => p.set("names", [1, 2])).toThrow(NodeError);
  });

  it("rejects undeclared access, double declaration, read-only writes and mistyped overrides", () => {
    const p = new ParameterStore("/n", { mode: 3 });
    expect(() => p.get("nope")).toThrow(/parameter "nope" is not declared/);
    expect(() => p.set("nope", 1)).toThrow(/not declared/);
    p.declare("fixed", true, { readOnly: true });
    expect(() => p.declare("fixed", true)).toThrow(/already declared/);
    expect(() => p.set("fixed", false)).toThrow(/read-only/);
    expect(() => p.declare("mode", "lockstep")).toThrow(/declared as string but was given number 3/);
  });

  it("notifies listeners on change", () => {
    const p = new ParameterStore("/n");
    p.declare("x", 1);
    const seen: unknown[] = [];
    p.onChange((name, value) => seen.push([name, value]));
    p.set("x", 2);
    expect(seen).toEqual([["x", 2]]);
  });

  it("reads ROS 2 params YAML by node name, full name and wildcards, flattening nested maps", () => {
    const yaml = `
/**:
  ros__parameters:
    use_sim_time: true
sim_robot:
  ros__parameters:
    robot: reacher2
    limits: {effort: 2.5, names: [a, b]}
/other/sim_robot:
  ros__parameters:
    robot: other
/arm/*:
  ros__parameters:
    seed: 7
`;
    expect(parametersFromYaml(yaml, "p.yaml", "/arm/sim_robot")).toEqual({
      use_sim_time: true,
      robot: "reacher2",
      "limits.effort": 2.5,
      "limits.names": ["a", "b"],
      seed: 7,
    });
    expect(parametersFromYaml(yaml, "p.yaml", "/other/sim_robot").robot).toBe("other");
    expect(parametersFromYaml(yaml, "p.yaml", "/behavior")).toEqual({ use_sim_time: true });
  });

  it("rejects malformed params files naming the file and section", () => {
    expect(() => parametersFromYaml("n:\n  robot: x\n", "bad.yaml", "/n")).toThrow(ConfigError);
    expect(() => parametersFromYaml("n:\n  robot: x\n", "bad.yaml", "/n")).toThrow(
      /bad\.yaml: n: each node section needs a ros__parameters/,
    );
    expect(() => parametersFromYaml("n: {ros__parameters: {m: [1, a]}}", "bad.yaml", "/n")).toThrow(
      /bad\.yaml: m: unsupported parameter value/,
    );
    expect(() => parametersFromYaml("a: [", "bad.yaml", "/n")).toThrow(/cannot parse YAML/);
  });

  it("parses parameter text like ROS 2 (YAML scalars)", () => {
    expect(parameterFromString("3")).toBe(3);
    expect(parameterFromString("0.5")).toBe(0.5);
    expect(parameterFromString("true")).toBe(true);
    expect(parameterFromString("reacher2")).toBe("reacher2");
    expect(parameterFromString("[1, 2]")).toEqual([1, 2]);
    expect(parameterFromString("")).toBe("");
  });
});
