import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPolicyPackage } from "../../src/policy/package.js";
import { loadTransitions } from "../../src/data/dataset-reader.js";
import { loadRobot } from "../../src/robot/load.js";
import { runStage } from "../../src/deploy/run-stage.js";
import { runShadow } from "../../src/deploy/runners/shadow.js";
import { readLedger } from "../../src/deploy/ledger.js";
import { DEFAULT_GATES, evaluateGates } from "../../src/deploy/gates.js";
import type { StageContext } from "../../src/deploy/runners/context.js";
import { tinyPackage } from "../fixtures/tiny-package.js";

let ctx: StageContext;
let modelDir: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "tether-deploy-"));
  const tiny = await tinyPackage(dir, { robot: "pendulum", episodes: 2, seed: 1, via: "launch", steps: 20 });
  const datasetDir = tiny.datasetDir;
  modelDir = tiny.modelDir;
  ctx = {
    robot: loadRobot("pendulum"),
    pkg: loadPolicyPackage(modelDir),
    version: "v0",
    dataset: loadTransitions(datasetDir),
    datasetDir,
    runLogDir: join(dir, "runlogs"),
    episodes: 2,
    seed: 0,
    fqeSteps: 0,
  };
}, 120_000);

describe("stage runners", () => {
  it("shadow never publishes a command and reports agreement with the logged actions", async () => {
    const r = await runShadow(ctx, { tolerance: 0.25, behavior: "medium" });
    expect(r.details.commands_published).toBe(0);
    expect(r.details.live_ticks).toBeGreaterThan(0);
    expect(r.evidence.agreement).toBeGreaterThanOrEqual(0);
    expect(r.evidence.agreement).toBeLessThanOrEqual(1);
    // a tolerance of 2 (the whole normalized range) agrees everywhere
    const all = await runShadow(ctx, { tolerance: 2, behavior: "medium" });
    expect(all.evidence.agreement).toBe(1);
  }, 60_000);

  it("shadow reports the behavior-driven robot's own e-stops apart and keeps evaluating the policy", async () => {
    // A velocity limit the swinging pendulum exceeds: joint_limits trips the shadow core's e-stop latch.
    const spec = ctx.robot.spec;
    const joint = spec.safety.joints.pendulum_joint;
    const tight = {
      ...ctx.robot,
      spec: { ...spec, safety: { ...spec.safety, joints: { pendulum_joint: { ...joint, velocity: 0.5 } } } },
    };
    const r = await runShadow({ ...ctx, robot: tight }, { tolerance: 0.25, behavior: "medium" });
    expect(r.events.some((e) => e.monitor === "joint_limits" && e.severity === "estop")).toBe(true);
    expect(r.details.robot_estops).toBe(ctx.episodes);
    expect(r.evidence.estops).toBe(0);
    expect(r.evidence.policy_faults).toBe(0);
    expect(r.details.policy_evaluated_ticks).toBe(r.details.live_ticks);
  }, 60_000);

  it("shadow counts the ticks whose policy output is non-finite as policy faults", async () => {
    const layers = ctx.pkg.policyLayers.map((l) => ({ ...l, bias: new Float32Array(l.bias) }));
    layers[layers.length - 1].bias.fill(Number.NaN);
    const broken = { ...ctx.pkg, policyLayers: layers };
    const r = await runShadow({ ...ctx, pkg: broken }, { tolerance: 0.25, behavior: "medium" });
    expect(r.evidence.policy_faults).toBe(r.details.live_ticks);
    expect(r.details.robot_estops).toBe(0);
    const checks = evaluateGates("shadow", DEFAULT_GATES.shadow, r.evidence);
    expect(checks.find((c) => c.gate === "policy_faults")?.passed).toBe(false);
  }, 60_000);

  it("a canary gate trip rolls back to the last promoted version", async () => {
    const options = { canaryFraction: 0.5, shadowBehavior: "medium" as const, finetuneSteps: 0 };
    const promoted = await runStage("offline-eval", ctx, {
      ...options,
      gates: {
        ...DEFAULT_GATES,
        "offline-eval": { max_estops: 0, max_support_gap: 100, agreement_tolerance: 0.25 },
      },
    });
    expect(promoted.entry.decision).toBe("promote");
    const trip = await runStage(
      "canary",
      { ...ctx, version: "v1" },
      {
        ...options,
        gates: { ...DEFAULT_GATES, canary: { max_estops: 0, score_margin: 0, agreement_tolerance: 0.25 } },
      },
    );
    // a 20-update policy scores far below the medium behavior: the score gate trips
    expect(trip.entry.checks.find((c) => c.gate === "score_ci_low")?.passed).toBe(false);
    expect(trip.entry.decision).toBe("rollback");
    expect(trip.entry.rolled_back_to).toBe("v0");
    const ledger = readLedger(modelDir, "iql");
    expect(ledger.promoted_version).toBe("v0");
    expect(trip.result.details.policy_fraction).toBe(0.5);
    // about half of the ticks went to the fallback (the package's behavior model here)
    const ticks = Number(trip.result.details.ticks);
    const mixed = Number(trip.result.details.mixed_fallback_ticks);
    expect(mixed).toBeGreaterThan(0.3 * ticks);
    expect(mixed).toBeLessThan(0.7 * ticks);
  }, 60_000);
});
