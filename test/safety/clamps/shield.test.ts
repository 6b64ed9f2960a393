import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Shield } from "../../../src/safety/clamps/shield.js";
import { hardLimitsFromSpec } from "../../../src/safety/clamps/hard-limits.js";
import { actionBoxFromQuantiles, actionBoxFromActions } from "../../../src/safety/clamps/action-box.js";
import { meanSpreadSupport } from "../../../src/safety/clamps/support-clamp.js";
import { ConfigError } from "../../../src/core/errors.js";
import { twoJointSpec } from "../fixtures.js";
import { fromReferenceViolation, normalized } from "./first-tick.js";

const spec = twoJointSpec();
const limits = hardLimitsFromSpec(spec);
const EPS = 1e-9;

/** Any number a broken policy might emit. */
const wild = fc.oneof(
  fc.double({ noNaN: false }),
  fc.constantFrom(NaN, Infinity, -Infinity, 1e300, -1e300, 11, -11),
  fc.double({ min: -1.5, max: 1.5, noNaN: true }),
);
const sane = fc.double({ min: -1, max: 1, noNaN: true });

describe("hardLimitsFromSpec", () => {
  it("intersects actuator range with the joint effort limit", () => {
    expect(Array.from(limits.lo)).toEqual([-1.5, -1]);
    expect(Array.from(limits.hi)).toEqual([1.5, 3]);
    expect(Array.from(limits.zero)).toEqual([0, 0]);
    expect(limits.loNorm[0]).toBeCloseTo(-0.75);
    expect(limits.hiNorm[1]).toBeCloseTo(1);
  });

  it("rejects an effort limit that leaves no command, naming the field", () => {
    const s = twoJointSpec();
    s.actuators[1].range = [1, 3];
    s.safety.joints.elbow.effort = 0.5;
    expect(() => hardLimitsFromSpec(s, "robot.yaml")).toThrow(ConfigError);
    expect(() => hardLimitsFromSpec(s, "robot.yaml")).toThrow(/robot.yaml: safety.joints.elbow.effort/);
  });
});

describe("Shield from the first tick", () => {
  const interval = fc
    .tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }))
    .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
  // Measured effort in units, as /joint_states may report it: anywhere, or not a number.
  const measured = fc.oneof(
    fc.double({ min: -4, max: 4, noNaN: true }),
    fc.constantFrom(NaN, Infinity, -1e9),
  );

  it("after resetToMeasured, every command is in H ∩ R, in B ∩ H ∩ R when it is not empty, else nearest to B; the box is reached in ceil(distance / maxDelta) ticks", () => {
    fc.assert(
      fc.property(
        fc.tuple(interval, interval),
        fc.tuple(measured, measured),
        fc.double({ min: 0.01, max: 0.5, noNaN: true }),
        fc.array(fc.tuple(wild, wild), { minLength: 1, maxLength: 30 }),
        (boxes, effort, d, actions) => {
          const box = {
            lo: Float64Array.from(boxes, (b) => b[0]),
            hi: Float64Array.from(boxes, (b) => b[1]),
          };
          const shield = new Shield({ limits, box, maxDelta: d });
          shield.resetToMeasured(effort);
          const h = [0, 1].map((i) => [limits.loNorm[i], limits.hiNorm[i]] as const);
          // The reference, computed here: measured effort normalized (zero effort when not finite), into H.
          const r = [0, 1].map((i) => {
            const range = spec.actuators[i].range;
            const u = Number.isFinite(effort[i]) ? effort[i] : 0;
            return Math.min(h[i][1], Math.max(h[i][0], normalized(u, range)));
          });
          const reach = [0, 1].map((i) => {
            const lo = Math.max(boxes[i][0], h[i][0]);
            const hi = Math.min(boxes[i][1], h[i][1]);
            if (lo > hi) return Infinity; // box outside the hard limits: no promise to reach it
            const dist = r[i] < lo ? lo - r[i] : r[i] > hi ? r[i] - hi : 0;
            return Math.ceil(dist / d - 1e-9);
          });
          actions.forEach((a, t) => {
            const x = shield.apply(a).action;
            for (let i = 0; i < 2; i++) {
              expect(fromReferenceViolation(x[i], r[i], d, h[i], boxes[i]), `tick ${t} dim ${i}`).toBe("");
              if (t + 1 >= reach[i]) {
                expect(x[i]).toBeGreaterThanOrEqual(boxes[i][0] - EPS);
                expect(x[i]).toBeLessThanOrEqual(boxes[i][1] + EPS);
              }
              r[i] = x[i];
            }
          });
        },
      ),
      { numRuns: 400, seed: 7 },
    );
  });

  it("reset and force take a non-finite reference as zero effort and clamp any other into the hard limits", () => {
    const shield = new Shield({ limits, maxDelta: 0.1 });
    shield.force([NaN, 5]);
    expect(Array.from(shield.lastSafe)).toEqual([0, limits.hiNorm[1]]);
    shield.reset([-Infinity, -7]);
    expect(Array.from(shield.lastSafe)).toEqual([0, limits.loNorm[1]]);
    shield.resetToMeasured([NaN, 0]); // 0 N·m on the elbow's [-1, 3] range is -0.5 normalized
    expect(Array.from(shield.lastSafe)).toEqual([0, -0.5]);
  });
});

describe("Shield properties", () => {
  const box = actionBoxFromQuantiles([-0.5, -0.2], [0.4, 0.9], { margin: 0.1 });

  it("every command is finite and inside hard limits, the box and the rate limit, for any policy output", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(wild, wild), { minLength: 1, maxLength: 30 }),
        fc.tuple(sane, sane),
        fc.double({ min: 0.01, max: 0.5, noNaN: true }),
        (actions, start, maxDelta) => {
          const shield = new Shield({ limits, box, maxDelta });
          // a safe previous command: inside box ∩ hard limits
          const s0 = [0, 1].map((i) =>
            Math.min(
              Math.min(box.hi[i], limits.hiNorm[i]),
              Math.max(Math.max(box.lo[i], limits.loNorm[i]), start[i]),
            ),
          );
          shield.reset(s0);
          let prev = s0.slice();
          for (const a of actions) {
            const out = shield.apply(a);
            for (let i = 0; i < 2; i++) {
              const c = out.command[i];
              const x = out.action[i];
              expect(Number.isFinite(c)).toBe(true);
              expect(c).toBeGreaterThanOrEqual(limits.lo[i]);
              expect(c).toBeLessThanOrEqual(limits.hi[i]);
              expect(x).toBeGreaterThanOrEqual(box.lo[i] - EPS);
              expect(x).toBeLessThanOrEqual(box.hi[i] + EPS);
              expect(Math.abs(x - prev[i])).toBeLessThanOrEqual(maxDelta + EPS);
            }
            prev = Array.from(out.action);
          }
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });

  it("with a support model, commands stay in the box even when the support is NaN or off the box", () => {
    const support = meanSpreadSupport(
      (obs, mean, spread) => {
        mean[0] = obs[0];
        mean[1] = obs[1];
        spread[0] = obs[2];
        spread[1] = obs[2];
      },
      2,
      2,
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(wild, wild, wild, wild, wild), { minLength: 1, maxLength: 20 }),
        (rows) => {
          const shield = new Shield({ limits, box, support, maxDelta: 0.3 });
          for (const [a0, a1, m0, m1, s] of rows) {
            const out = shield.apply([a0, a1], Float32Array.of(m0, m1, s));
            for (let i = 0; i < 2; i++) {
              expect(Number.isFinite(out.command[i])).toBe(true);
              expect(out.command[i]).toBeGreaterThanOrEqual(limits.lo[i]);
              expect(out.command[i]).toBeLessThanOrEqual(limits.hi[i]);
            }
          }
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });

  it("the support clamp pulls an in-box action toward the state's support interval", () => {
    const support = meanSpreadSupport(
      (_obs, mean, spread) => {
        mean.fill(0.1);
        spread.fill(0.05);
      },
      2,
      2,
    );
    const shield = new Shield({ limits, box, support });
    const out = shield.apply([0.35, -0.15], new Float32Array(2));
    expect(out.flags.support).toBe(true);
    expect(out.action[0]).toBeCloseTo(0.2);
    expect(out.action[1]).toBeCloseTo(0.0);
  });
});

describe("Shield guard", () => {
  it("replaces a NaN action by the fallback's action and flags it", () => {
    const shield = new Shield({ limits });
    const out = shield.apply([NaN, 0.2], undefined, [0.1, -0.1]);
    expect(out.flags.nonFinite).toBe(true);
    expect(out.flags.substitutedBy).toBe("fallback");
    expect(out.action[0]).toBeCloseTo(0.1);
    expect(out.action[1]).toBeCloseTo(-0.1);
  });

  it("holds the last safe action when there is no usable fallback", () => {
    const shield = new Shield({ limits });
    shield.apply([0.3, 0.4]);
    const out = shield.apply([0.1, 1e12], undefined, [Infinity, 0]);
    expect(out.flags.substitutedBy).toBe("hold");
    expect(out.action[0]).toBeCloseTo(0.3);
    expect(out.action[1]).toBeCloseTo(0.4);
    expect(shield.counts.nonFinite).toBe(1);
  });

  it("returns the same output object every tick (no allocation per tick)", () => {
    const shield = new Shield({ limits });
    const a = shield.apply([0, 0]);
    const b = shield.apply([0.5, 0.5]);
    expect(a).toBe(b);
    expect(a.command).toBe(b.command);
  });

  it("rejects a wrong action length and invalid config at construction", () => {
    const shield = new Shield({ limits });
    expect(() => shield.apply([0])).toThrow(/shield: action length: expected 2, got 1/);
    expect(() => new Shield({ limits, maxDelta: -1 })).toThrow(/max_delta\[0\]/);
    expect(() => new Shield({ limits, hugeAbs: NaN })).toThrow(/huge_abs/);
  });
});

describe("action box", () => {
  it("takes quantiles of dataset actions and widens them by the margin", () => {
    const actions = new Float32Array(2 * 101);
    for (let r = 0; r <= 100; r++) {
      actions[2 * r] = r / 100 - 0.5; // [-0.5, 0.5]
      actions[2 * r + 1] = 0.25; // constant
    }
    const box = actionBoxFromActions(actions, 2, { q: 0, margin: 0.1, minMargin: 0.02 });
    expect(box.lo[0]).toBeCloseTo(-0.6);
    expect(box.hi[0]).toBeCloseTo(0.6);
    expect(box.lo[1]).toBeCloseTo(0.23);
    expect(box.hi[1]).toBeCloseTo(0.27);
  });

  it("rejects inverted quantiles naming the dimension", () => {
    expect(() => actionBoxFromQuantiles([0, 1], [1, 0], { source: "models/x/policy.json" })).toThrow(
      /models\/x\/policy.json: quantiles\[1\]/,
    );
  });
});
