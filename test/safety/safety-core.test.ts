import { describe, expect, it } from "vitest";
import { SafetyCore } from "../../src/safety/safety-core.js";
import { Shield } from "../../src/safety/clamps/shield.js";
import { hardLimitsFromSpec } from "../../src/safety/clamps/hard-limits.js";
import { ClockScheduler } from "../../src/safety/loop/clock-scheduler.js";
import { SYNTHETIC_ARM } from "../../src/safety/loop/synthetic-plant.js";
import { signalLayout } from "../../src/robot/signals.js";
import { ArrayRunLog } from "../../src/safety/run-log.js";
import type { Controller } from "../../src/safety/fallback.js";
import { safetyEvent } from "../../src/safety/events.js";

const spec = SYNTHETIC_ARM; // 500 Hz, max_state_age_ms 20, positions [-2, 2]
const layout = signalLayout(spec);

function setup(options: { shadow?: boolean; fallback?: boolean } = {}) {
  const scheduler = new ClockScheduler(0);
  const log = new ArrayRunLog();
  const policy: Controller = { act: (_o, _s, out) => out.fill(0.5) };
  const fallback: Controller = { act: (_o, _s, out) => out.fill(-0.1) };
  const shield = new Shield({ limits: hardLimitsFromSpec(spec), maxDelta: 2 });
  const core = new SafetyCore({
    spec,
    shield,
    policy,
    fallback: options.fallback === false ? undefined : fallback,
    scheduler,
    log,
    shadow: options.shadow,
  });
  const signals = new Float64Array(layout.size);
  return { scheduler, log, core, signals };
}

describe("SafetyCore", () => {
  it("publishes the policy's clamped command when all is well", () => {
    const { core, signals, scheduler } = setup();
    const out = core.tick(scheduler.now(), signals);
    expect(out.source).toBe("policy");
    expect(out.publish).toBe(true);
    expect(Array.from(out.command)).toEqual([1, 1]); // 0.5 normalized of [-2, 2]
    expect(out.events).toHaveLength(0);
  });

  it("keeps the e-stop engaged after the fault clears, until an explicit reset", () => {
    const { core, signals, scheduler, log } = setup();
    signals[layout.position] = 2.5; // beyond the hard position limit
    expect(core.tick(scheduler.now(), signals).source).toBe("estop");
    signals[layout.position] = 0;
    for (let t = 1; t <= 5; t++) {
      scheduler.advanceTo(2 * t);
      const out = core.tick(scheduler.now(), signals);
      expect(out.source).toBe("estop");
      expect(Array.from(out.command)).toEqual([0, 0]);
    }
    expect(core.resetEStop("operator")).toBe(true);
    scheduler.advanceTo(12);
    expect(core.tick(scheduler.now(), signals).source).toBe("policy");
    expect(
      log.entries.filter((e) => e.kind === "estop").map((e) => (e.kind === "estop" ? e.engaged : null)),
    ).toEqual([true, false]);
  });

  it("raise() latches a fatal event at once, in shadow too, and records it before any tick", () => {
    const { core, signals, scheduler, log } = setup({ shadow: true });
    const fault = safetyEvent(
      "node_callback",
      "timer tick (2 ms)",
      "fatal",
      0,
      0,
      0,
      "/policy: timer tick threw",
    );
    expect(core.raise(fault)).toBe(true);
    expect(core.estop.engaged).toBe(true);
    expect(log.entries.map((e) => e.kind)).toEqual(["event", "estop"]);
    expect(core.raise(fault)).toBe(false); // already engaged: logged, not re-tripped
    expect(core.estop.trips).toBe(1);
    expect(core.tick(scheduler.now(), signals).source).toBe("estop");
    // A warning raised from outside is logged and changes nothing.
    const { core: calm, log: calmLog } = setup();
    expect(calm.raise({ ...fault, severity: "warn" })).toBe(false);
    expect(calm.estop.engaged).toBe(false);
    expect(calmLog.entries).toHaveLength(1);
  });

  it("in shadow mode computes the command but never asks to publish it", () => {
    const { core, signals, scheduler } = setup({ shadow: true });
    const out = core.tick(scheduler.now(), signals);
    expect(out.publish).toBe(false);
    expect(out.source).toBe("policy");
    expect(out.policyAction[0]).toBeCloseTo(0.5);
  });

  it("in shadow mode reports the robot's own fatal events without latching, and keeps running the policy", () => {
    const { core, signals, scheduler } = setup({ shadow: true });
    signals[layout.position] = 2.5; // beyond the hard position limit
    const out = core.tick(scheduler.now(), signals);
    expect(out.events.some((e) => e.monitor === "joint_limits" && e.severity === "fatal")).toBe(true);
    expect(core.estop.engaged).toBe(false);
    signals[layout.position] = 0;
    scheduler.advanceTo(2);
    expect(core.tick(scheduler.now(), signals).source).toBe("policy");
  });

  it("takes a silence event that fired between ticks into the next tick and holds", () => {
    const { core, signals, scheduler } = setup();
    core.tick(0, signals);
    scheduler.advanceTo(25); // state age limit 20 ms: the watchdog's timer fires in between
    expect(core.peekPending().map((e) => e.key)).toContain("silence");
    const out = core.tick(24, signals);
    expect(out.source).toBe("hold");
    expect(out.events.some((e) => e.monitor === "stale_state")).toBe(true);
  });

  it("holds the last safe command on a policy fault when there is no fallback controller", () => {
    const scheduler = new ClockScheduler(0);
    let broken = false;
    const policy: Controller = {
      act: (_o, _s, out) => {
        if (broken) throw new Error("bad weights");
        out.fill(0.25);
      },
    };
    const core = new SafetyCore({
      spec,
      shield: new Shield({ limits: hardLimitsFromSpec(spec) }),
      policy,
      scheduler,
    });
    const signals = new Float64Array(layout.size);
    core.tick(0, signals);
    broken = true;
    scheduler.advanceTo(2);
    const out = core.tick(2, signals);
    expect(out.source).toBe("hold");
    expect(out.command[0]).toBeCloseTo(0.5);
    expect(out.events.find((e) => e.monitor === "policy")?.message).toBe("policy threw: bad weights");
  });
});

describe("SafetyCore property", () => {
  it("publishes only safe commands for any sequence of policy outputs, NaN, ±Inf and huge included", async () => {
    const fc = (await import("fast-check")).default;
    const { actionBoxFromQuantiles } = await import("../../src/safety/clamps/action-box.js");
    const { CommandChecker } = await import("../../src/safety/loop/command-checker.js");
    const wild = fc.oneof(
      fc.double(),
      fc.constantFrom(NaN, Infinity, -Infinity, 1e308, -1e308),
      fc.double({ min: -1, max: 1, noNaN: true }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(wild, wild, fc.boolean()), { minLength: 1, maxLength: 40 }), (steps) => {
        const scheduler = new ClockScheduler(0);
        const box = actionBoxFromQuantiles([-0.5, -0.3], [0.6, 0.2], { margin: 0 });
        let k = 0;
        const policy: Controller = {
          act: (_o, _s, out) => {
            const [a, b, crash] = steps[k];
            if (crash && Number.isNaN(a)) throw new Error("crash");
            out[0] = a;
            out[1] = b;
          },
        };
        const fallback: Controller = { act: (_o, _s, out) => out.fill(steps[k][1]) }; // may itself be NaN/huge
        const core = new SafetyCore({
          spec,
          shield: new Shield({ limits: hardLimitsFromSpec(spec), box, maxDelta: 0.1 }),
          policy,
          fallback,
          scheduler,
        });
        const checker = new CommandChecker({ spec, box, maxDelta: 0.1 });
        const signals = new Float64Array(layout.size);
        for (k = 0; k < steps.length; k++) {
          scheduler.advanceTo(2 * k);
          const out = core.tick(2 * k, signals);
          checker.check(out.command, out.source === "estop", k);
        }
        core.close();
        expect(checker.unsafe, checker.reasons.join("; ")).toBe(0);
      }),
      { numRuns: 150, seed: 3 },
    );
  });

  it("from the first tick and after every e-stop reset, commands are rate-limited from the measured effort into box ∩ hard limits", async () => {
    const fc = (await import("fast-check")).default;
    const { fromReferenceViolation, normalized } = await import("./clamps/first-tick.js");
    const lim = hardLimitsFromSpec(spec); // effort 1.8 of [-2, 2]: H = [-0.9, 0.9] normalized
    const wild = fc.oneof(
      fc.double(),
      fc.constantFrom(NaN, Infinity),
      fc.double({ min: -1, max: 1, noNaN: true }),
    );
    // Measured effort inside the 1.8 N·m limit (beyond it the joint-limit monitor trips the e-stop), or unknown.
    const effort = fc.oneof(fc.double({ min: -1.8, max: 1.8, noNaN: true }), fc.constant(NaN));
    const step = fc.record({
      a: fc.tuple(wild, wild),
      effort: fc.tuple(effort, effort),
      what: fc.constantFrom("run", "run", "run", "trip", "reset"),
    });
    const edge = fc.double({ min: -0.95, max: 0.95, noNaN: true });
    fc.assert(
      fc.property(
        fc.tuple(edge, edge, edge, edge),
        fc.double({ min: 0.02, max: 0.4, noNaN: true }),
        fc.array(step, { minLength: 1, maxLength: 40 }),
        ([a0, a1, b0, b1], d, steps) => {
          const boxes = [
            [Math.min(a0, a1), Math.max(a0, a1)],
            [Math.min(b0, b1), Math.max(b0, b1)],
          ] as const;
          const box = {
            lo: Float64Array.from(boxes, (b) => b[0]),
            hi: Float64Array.from(boxes, (b) => b[1]),
          };
          const scheduler = new ClockScheduler(0);
          let k = 0;
          const policy: Controller = { act: (_o, _s, out) => out.set(steps[k].a) };
          const core = new SafetyCore({
            spec,
            shield: new Shield({ limits: lim, box, maxDelta: d }),
            policy,
            scheduler,
          });
          const signals = new Float64Array(layout.size);
          const h = [0, 1].map((i) => [lim.loNorm[i], lim.hiNorm[i]] as const);
          let ref: number[] | undefined = undefined; // undefined: the next command is a start
          for (k = 0; k < steps.length; k++) {
            const s = steps[k];
            if (s.what === "reset" && core.resetEStop("test")) ref = undefined;
            signals[layout.position] = s.what === "trip" ? 2.5 : 0; // beyond the 2 rad limit: e-stop
            signals[layout.effort] = s.effort[0];
            signals[layout.effort + 1] = s.effort[1];
            scheduler.advanceTo(2 * k);
            const out = core.tick(2 * k, signals);
            if (out.source === "estop") {
              expect(Array.from(out.command)).toEqual([0, 0]);
              ref = [0, 0];
              continue;
            }
            const r =
              ref ??
              s.effort.map((e, i) =>
                Math.min(h[i][1], Math.max(h[i][0], normalized(Number.isFinite(e) ? e : 0, [-2, 2]))),
              );
            for (let i = 0; i < 2; i++) {
              const x = normalized(out.command[i], [-2, 2]);
              expect(fromReferenceViolation(x, r[i], d, h[i], boxes[i]), `tick ${k} dim ${i}`).toBe("");
            }
            ref = Array.from(out.command, (c) => normalized(c, [-2, 2]));
          }
          core.close();
        },
      ),
      { numRuns: 200, seed: 11 },
    );
  });
});
