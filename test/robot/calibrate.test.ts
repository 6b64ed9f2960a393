import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { withReferenceReturns } from "../../src/robot/calibrate.js";
import { loadRobot, parseRobotSpec } from "../../src/robot/load.js";

describe("withReferenceReturns", () => {
  const { specFile } = loadRobot("pendulum");
  const text = readFileSync(specFile, "utf8");

  it("writes reference_returns and keeps comments and every other field", () => {
    const out = withReferenceReturns(text, specFile, { random: 1.23456, expert: 150.5 });
    const spec = parseRobotSpec(out, specFile);
    expect(spec.reference_returns).toEqual({ random: 1.235, expert: 150.5 });
    const before = parseRobotSpec(text, specFile);
    expect({ ...spec, reference_returns: undefined }).toEqual({ ...before, reference_returns: undefined });
    expect(out).toContain("# 0.002 s MJCF timestep x 10 = 20 ms control period");
    expect(out).toContain("range: [-2, 2]"); // flow style kept as written
    // Recalibrating replaces the numbers in place.
    const again = withReferenceReturns(out, specFile, { random: 2, expert: 3 });
    expect(parseRobotSpec(again, specFile).reference_returns).toEqual({ random: 2, expert: 3 });
    expect(again.match(/reference_returns:/g)).toHaveLength(1);
  });

  it("rejects an expert return that is not above the random one", () => {
    expect(() => withReferenceReturns(text, specFile, { random: 5, expert: 5 })).toThrow(ConfigError);
    expect(() => withReferenceReturns(text, specFile, { random: 5, expert: 1 })).toThrow(
      /reference_returns: expert return must be greater/,
    );
  });
});
