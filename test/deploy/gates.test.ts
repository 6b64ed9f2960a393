import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_GATES, evaluateGates, loadGates } from "../../src/deploy/gates.js";

describe("stage gates", () => {
  it("decides on the CI lower bound, not the mean", () => {
    const gates = { score_margin: 5, max_estops: 0, agreement_tolerance: 0.25 };
    const highMeanWideCi = { score: { mean: 80, ci_low: 40, ci_high: 120 }, behavior_score: 50, estops: 0 };
    const checks = evaluateGates("sim-eval", gates, highMeanWideCi);
    expect(checks.find((c) => c.gate === "score_ci_low")?.passed).toBe(false);
    const tightCi = { ...highMeanWideCi, score: { mean: 60, ci_low: 46, ci_high: 74 } };
    expect(evaluateGates("sim-eval", gates, tightCi).every((c) => c.passed)).toBe(true);
  });

  it("fails a gate whose evidence is missing", () => {
    const gates = { ...DEFAULT_GATES.shadow, max_estops: 0, agreement_tolerance: 0.25, min_agreement: 0.5 };
    const checks = evaluateGates("shadow", gates, { estops: 0, support_gap: 0.1 });
    const agreement = checks.find((c) => c.gate === "agreement");
    expect(agreement?.passed).toBe(false);
    expect(agreement?.observed).toBeNull();
  });

  it("fails on any e-stop by default", () => {
    const checks = evaluateGates("canary", DEFAULT_GATES.canary, {
      score: { mean: 90, ci_low: 85, ci_high: 95 },
      behavior_score: 50,
      estops: 1,
      deadline_miss_ratio: 0,
    });
    expect(checks.filter((c) => !c.passed).map((c) => c.gate)).toEqual(["estops"]);
  });

  it("loads gates.yaml over the defaults", () => {
    const dir = mkdtempSync(join(tmpdir(), "gates-"));
    const file = join(dir, "gates.yaml");
    writeFileSync(file, "canary:\n  score_margin: 0\n  max_estops: 0\n");
    const gates = loadGates(file);
    expect(gates.canary?.score_margin).toBe(0);
    expect(gates.shadow).toEqual(DEFAULT_GATES.shadow);
  });

  it("rejects an unknown gate naming the file and field", () => {
    const dir = mkdtempSync(join(tmpdir(), "gates-"));
    const file = join(dir, "gates.yaml");
    writeFileSync(file, "canary:\n  max_estop: 1\n");
    expect(() => loadGates(file)).toThrow(new RegExp(`${file.replace(/[/.]/g, "\\$&")}: canary`));
  });
});
