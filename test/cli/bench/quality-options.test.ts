import { describe, expect, it } from "vitest";
import { parseAlgoConfigOption, parsePerAlgoConfigOption } from "../../../src/cli/config-option.js";
import { checkPlotFile, parseHiddenOption } from "../../../src/cli/run.js";
import { ALGO_DEFAULTS, assertAlgoName } from "../../../src/rl/algos/registry.js";

const parse = (v: string | undefined) =>
  parsePerAlgoConfigOption(v, (a) => assertAlgoName(a, "--config"), ALGO_DEFAULTS);

describe("bench quality options", () => {
  it("--hidden takes comma-separated positive widths", () => {
    expect(parseHiddenOption("64, 64")).toEqual([64, 64]);
    expect(parseHiddenOption("256")).toEqual([256]);
    expect(() => parseHiddenOption("64,0")).toThrow(/--hidden/);
    expect(() => parseHiddenOption("64,x")).toThrow(/--hidden/);
  });

  it("--plot takes an .svg or .png file and rejects any other, naming it", () => {
    expect(() => checkPlotFile("quality.svg")).not.toThrow();
    expect(() => checkPlotFile("out/Quality.PNG")).not.toThrow();
    expect(() => checkPlotFile("quality.pdf")).toThrow(
      /--plot quality\.pdf: the file must end in \.svg or \.png/,
    );
  });

  it("--config keeps per-algorithm overrides and names the bad algorithm or field", () => {
    expect(parse(undefined)).toEqual({});
    expect(parse('{"cql": {"sampledActions": 4}, "awac": {"lambda": 1}}')).toEqual({
      cql: { sampledActions: 4 },
      awac: { lambda: 1 },
    });
    expect(() => parse('{"cql": {"sampledAction": 4}}')).toThrow(/--config\.cql\.sampledAction/);
    expect(() => parse('{"dqn": {}}')).toThrow(/"dqn"/);
    expect(() => parse('{"cql": 4}')).toThrow(/--config\.cql must be an object/);
    expect(() => parse("[1]")).toThrow(/JSON object/);
    expect(() => parse("{oops")).toThrow(/not JSON/);
  });

  it("train's --config overrides fields of the one --algo and names an unknown field", () => {
    expect(parseAlgoConfigOption(undefined, "iql", ALGO_DEFAULTS.iql)).toEqual({});
    expect(parseAlgoConfigOption('{"beta": 1, "logStd": "free"}', "iql", ALGO_DEFAULTS.iql)).toEqual({
      beta: 1,
      logStd: "free",
    });
    expect(() => parseAlgoConfigOption('{"lambda": 1}', "iql", ALGO_DEFAULTS.iql)).toThrow(
      /--config\.lambda: iql has no such config field \(known: .*beta/,
    );
    expect(() => parseAlgoConfigOption("[1]", "iql", ALGO_DEFAULTS.iql)).toThrow(/JSON object/);
  });
});
