import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { GateCheck } from "../../src/deploy/gates.js";
import { readLedger, recordStage } from "../../src/deploy/ledger.js";

const pass: GateCheck = { gate: "estops", passed: true, observed: 0, threshold: 0, rule: "e-stops <= 0" };
const fail: GateCheck = { ...pass, passed: false, observed: 2 };

describe("stage ledger", () => {
  it("promotes on passing gates and holds on failing ones outside canary", () => {
    const dir = mkdtempSync(join(tmpdir(), "ledger-"));
    expect(recordStage(dir, "m", "sim-eval", "v0", [pass], { estops: 0 }).decision).toBe("promote");
    expect(recordStage(dir, "m", "shadow", "v1", [fail], { estops: 2 }).decision).toBe("hold");
    const ledger = readLedger(dir, "m");
    expect(ledger.promoted_version).toBe("v0");
    expect(ledger.promoted_stage).toBe("sim-eval");
    expect(ledger.history).toHaveLength(2);
  });

  it("rolls a failing canary back to the last promoted version", () => {
    const dir = mkdtempSync(join(tmpdir(), "ledger-"));
    recordStage(dir, "m", "sim-eval", "v0", [pass], {});
    recordStage(dir, "m", "shadow", "v1", [pass], {});
    const entry = recordStage(dir, "m", "canary", "v2", [fail], { estops: 2 });
    expect(entry.decision).toBe("rollback");
    expect(entry.rolled_back_to).toBe("v1");
    const ledger = readLedger(dir, "m");
    expect(ledger.promoted_version).toBe("v1");
    expect(ledger.promoted_stage).toBe("shadow");
  });
});
