import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Shield } from "../../../src/safety/clamps/shield.js";
import { hardLimitsFromSpec } from "../../../src/safety/clamps/hard-limits.js";
import { actionBoxFromQuantiles } from "../../../src/safety/clamps/action-box.js";
import { SoftPositionLimits } from "../../../src/safety/clamps/soft-limits.js";
import { signalLayout } from "../../../src/robot/signals.js";
import { twoJointSpec } from "../fixtures.js";

// twoJointSpec: shoulder position [-1.5, 1.5], margin 0.1 -> band 0.15; elbow [-2, 2] -> band 0.2.
const spec = twoJointSpec();
const limits = hardLimitsFromSpec(spec);
const layout = signalLayout(spec);
const soft = new SoftPositionLimits(spec, limits);
const zeroNorm = (i: number): number =>
  (2 * (limits.zero[i] - limits.rangeLo[i])) / (limits.rangeHi[i] - limits.rangeLo[i]) - 1;

function state(q: [number, number], v: [number, number]): Float64Array {
  const s = new Float64Array(layout.size);
  s[layout.position] = q[0];
  s[layout.position + 1] = q[1];
  s[layout.velocity] = v[0];
  s[layout.velocity + 1] = v[1];
  return s;
}

describe("SoftPositionLimits", () => {
  const lo = new Float64Array(2);
  const hi = new Float64Array(2);

  it("constrains nothing away from the limits", () => {
    expect(soft.bounds(state([0, 0], [3, -3]), lo, hi)).toBe(false);
    expect([...lo, ...hi]).toEqual([-Infinity, -Infinity, Infinity, Infinity]);
  });

  it("forbids effort toward a limit in the approach zone, only when moving toward it", () => {
    expect(soft.bounds(state([1.25, 0], [0.1, 0]), lo, hi)).toBe(true);
    expect(hi[0]).toBeCloseTo(zeroNorm(0));
    expect(soft.bounds(state([1.25, 0], [-0.5, 0]), lo, hi)).toBe(false);
  });

  it("brakes early for a fast joint still outside the zones (0.25 s lookahead)", () => {
    // 0.9 rad is far from 1.5, but at 3 rad/s the joint would be at 1.65 in 0.25 s.
    expect(soft.bounds(state([0.9, 0], [3, 0]), lo, hi)).toBe(true);
    expect(hi[0]).toBeCloseTo(zeroNorm(0) - 0.5);
    expect(soft.bounds(state([0.9, 0], [0.5, 0]), lo, hi)).toBe(false);
  });

  it("brakes inside the margin band, on either side", () => {
    soft.bounds(state([1.4, -1.9], [0.5, -0.5]), lo, hi);
    expect(hi[0]).toBeCloseTo(zeroNorm(0) - 0.5);
    expect(lo[1]).toBeCloseTo(zeroNorm(1) + 0.5);
  });

  it("ignores non-finite state (the state monitors own that fault)", () => {
    expect(soft.bounds(state([NaN, 0], [Infinity, 0]), lo, hi)).toBe(false);
  });
});

describe("Shield with soft limits", () => {
  const box = actionBoxFromQuantiles([-0.5, -0.2], [0.4, 0.9], { margin: 0.1 });

  it("keeps every command in the hard limits, the box and the rate limit, and never pushes toward a near limit", () => {
    const lo = new Float64Array(2);
    const hi = new Float64Array(2);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            a: fc.tuple(fc.double({ noNaN: false }), fc.double({ noNaN: false })),
            q: fc.tuple(fc.double({ min: -1.6, max: 1.6 }), fc.double({ min: -2.1, max: 2.1 })),
            v: fc.tuple(fc.double({ min: -5, max: 5 }), fc.double({ min: -5, max: 5 })),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        fc.double({ min: 0.05, max: 2, noNaN: true }),
        (ticks, maxDelta) => {
          const shield = new Shield({ limits, box, maxDelta });
          // A safe previous command (inside box ∩ hard limits), as the shield's guarantee assumes.
          shield.reset([0, 1].map((i) => Math.min(box.hi[i], Math.max(box.lo[i], 0))));
          let prev = Array.from(shield.lastSafe);
          for (const t of ticks) {
            const constrained = soft.bounds(state(t.q, t.v), lo, hi);
            if (constrained) shield.prepareSoftLimits(lo, hi);
            const out = shield.apply(t.a);
            for (let i = 0; i < 2; i++) {
              const x = out.action[i];
              expect(Number.isFinite(out.command[i])).toBe(true);
              expect(out.command[i]).toBeGreaterThanOrEqual(limits.lo[i]);
              expect(out.command[i]).toBeLessThanOrEqual(limits.hi[i]);
              expect(x).toBeGreaterThanOrEqual(box.lo[i] - 1e-9);
              expect(x).toBeLessThanOrEqual(box.hi[i] + 1e-9);
              expect(Math.abs(x - prev[i])).toBeLessThanOrEqual(maxDelta + 1e-9);
              // Toward a near limit, the command moves no further out than the soft bound or where it was.
              const bound = Math.min(box.hi[i], Math.max(box.lo[i], hi[i]));
              if (constrained && hi[i] < Infinity)
                expect(x).toBeLessThanOrEqual(Math.max(bound, prev[i] - maxDelta) + 1e-9);
            }
            prev = Array.from(out.action);
          }
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });
});
