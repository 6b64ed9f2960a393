import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SafetyCore, type TickOutput } from "../../src/safety/safety-core.js";
import { Shield } from "../../src/safety/clamps/shield.js";
import { hardLimitsFromSpec } from "../../src/safety/clamps/hard-limits.js";
import { actionBoxFromQuantiles } from "../../src/safety/clamps/action-box.js";
import type { SupportModel } from "../../src/safety/clamps/support-clamp.js";
import { ClockScheduler } from "../../src/safety/loop/clock-scheduler.js";
import { SYNTHETIC_ARM } from "../../src/safety/loop/synthetic-plant.js";
import { signalLayout } from "../../src/robot/signals.js";
import { ArrayRunLog } from "../../src/safety/run-log.js";
import { PolicyTimeoutError, type Controller } from "../../src/safety/fallback.js";

const spec = SYNTHETIC_ARM; // 500 Hz, positions [-2, 2]
const layout = signalLayout(spec);

interface Step {
  a: [number, number];
  /** What the policy does this tick. */
  fault: "none" | "crash" | "timeout";
  /** Joint 0 beyond its hard position limit (e-stop), or an operator reset before the tick. */
  state: "ok" | "beyond" | "reset";
}

/** The policy of `steps[k()]`: with `split`, computed in `begin` and collected by `act` (as WorkerPolicy). */
function stepPolicy(steps: Step[], k: () => number, split: boolean, calls: string[]): Controller {
  const compute = (out: Float64Array): void => {
    const s = steps[k()];
    if (s.fault === "crash") throw new Error("crash");
    if (s.fault === "timeout") throw new PolicyTimeoutError("not ready");
    out[0] = s.a[0];
    out[1] = s.a[1];
  };
  if (!split) return { act: (_o, _s, out) => compute(out) };
  const answer = new Float64Array(2);
  let failure: unknown = undefined;
  let begun = false;
  return {
    begin() {
      calls.push("begin");
      begun = true;
      failure = undefined;
      try {
        compute(answer);
      } catch (err) {
        failure = err;
      }
    },
    act(_o, _s, out) {
      calls.push("act");
      if (!begun) throw new Error("act without begin");
      begun = false;
      if (failure !== undefined) throw failure;
      out.set(answer);
    },
  };
}

function run(steps: Step[], split: boolean, calls: string[] = []): string[] {
  const scheduler = new ClockScheduler(0);
  let k = 0;
  const box = actionBoxFromQuantiles([-0.5, -0.3], [0.6, 0.2], { margin: 0 });
  const support: SupportModel = {
    bounds(obs, lo, hi) {
      calls.push("support");
      lo.fill(-0.2);
      hi.fill(0.4);
    },
  };
  const core = new SafetyCore({
    spec,
    shield: new Shield({ limits: hardLimitsFromSpec(spec), box, support, maxDelta: 0.1 }),
    policy: stepPolicy(steps, () => k, split, calls),
    fallback: { act: (_o, _s, out) => out.fill(-0.05) },
    scheduler,
    log: new ArrayRunLog(),
  });
  const signals = new Float64Array(layout.size);
  const seen: string[] = [];
  const show = (o: TickOutput): string =>
    JSON.stringify([
      o.tick,
      Array.from(o.command),
      Array.from(o.action),
      Array.from(o.policyAction, (v) => (Number.isNaN(v) ? "NaN" : v)),
      o.source,
      o.publish,
      o.supportGap,
      o.events.map((e) => [e.monitor, e.key, e.severity, e.message]),
    ]);
  for (k = 0; k < steps.length; k++) {
    const s = steps[k];
    if (s.state === "reset") core.resetEStop("test");
    signals[layout.position] = s.state === "beyond" ? 2.5 : 0.1 * Math.sin(k);
    scheduler.advanceTo(2 * k);
    calls.push("tick");
    seen.push(show(core.tick(2 * k, signals)));
  }
  core.close();
  return seen;
}

const wild = fc.oneof(
  fc.double({ min: -1, max: 1, noNaN: true }),
  fc.constantFrom(NaN, Infinity, -Infinity, 1e308),
);
const step: fc.Arbitrary<Step> = fc.record({
  a: fc.tuple(wild, wild),
  fault: fc.constantFrom("none", "none", "none", "crash", "timeout"),
  state: fc.constantFrom("ok", "ok", "ok", "ok", "beyond", "reset"),
});

describe("SafetyCore with a policy that computes elsewhere (Controller.begin)", () => {
  it("gives the same commands, sources and events as the same policy called at once", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        expect(run(steps, true)).toEqual(run(steps, false));
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it("hands the observation over before the support model runs and collects after; nothing while e-stopped", () => {
    const ok: Step = { a: [0.1, 0.1], fault: "none", state: "ok" };
    const calls: string[] = [];
    run([ok, ok, { ...ok, state: "beyond" }, ok, { ...ok, state: "reset" }], true, calls);
    expect(calls.join(" ")).toBe(
      [
        "tick begin support act",
        "tick begin support act",
        "tick begin support act", // the e-stop trips in this tick's decision
        "tick", // engaged: no policy, no support model
        "tick begin support act",
      ].join(" "),
    );
  });

  it("a begin that throws is a policy crash: the fallback acts and act is not called that tick", () => {
    const calls: string[] = [];
    const scheduler = new ClockScheduler(0);
    let broken = false;
    const policy: Controller = {
      begin() {
        calls.push("begin");
        if (broken) throw new Error("cannot hand over");
      },
      act(_o, _s, out) {
        calls.push("act");
        out.fill(0.3);
      },
    };
    const core = new SafetyCore({
      spec,
      shield: new Shield({ limits: hardLimitsFromSpec(spec) }),
      policy,
      fallback: { act: (_o, _s, out) => out.fill(-0.05) },
      scheduler,
    });
    const signals = new Float64Array(layout.size);
    expect(core.tick(0, signals).source).toBe("policy");
    broken = true;
    scheduler.advanceTo(2);
    const out = core.tick(2, signals);
    expect(out.source).toBe("fallback");
    expect(out.events.find((e) => e.monitor === "policy")?.message).toBe("policy threw: cannot hand over");
    expect(calls).toEqual(["begin", "act", "begin"]);
    core.close();
  });
});
