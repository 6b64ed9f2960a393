import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { quantileOfSorted } from "../../src/core/quantile.js";
import { Rng } from "../../src/core/rng.js";

const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
const sortedArray = fc.array(finite, { minLength: 1, maxLength: 64 }).map((a) => Float64Array.from(a).sort());
const level = fc.double({ min: 0, max: 1, noNaN: true });

describe("quantileOfSorted", () => {
  it("gives the minimum at q=0, the maximum at q=1 and the order statistic at q=k/(n-1)", () => {
    fc.assert(
      fc.property(sortedArray, fc.nat(), (a, k) => {
        expect(quantileOfSorted(a, 0)).toBe(a[0]);
        expect(quantileOfSorted(a, 1)).toBe(a[a.length - 1]);
        if (a.length > 1) {
          // i/(n-1)·(n-1) is not always exactly i in floating point (15/22·22 = 14.999…), so allow an ulp-sized gap.
          const i = k % a.length;
          const spread = a[a.length - 1] - a[0];
          expect(Math.abs(quantileOfSorted(a, i / (a.length - 1)) - a[i])).toBeLessThanOrEqual(
            1e-12 * spread,
          );
        }
      }),
    );
  });

  it("returns an exact position's order statistic itself: -0 stays -0, huge opposite neighbours give no NaN", () => {
    expect(Object.is(quantileOfSorted(Float64Array.from([-0, 0]), 0), -0)).toBe(true);
    expect(quantileOfSorted(Float64Array.from([-1.7e308, 1.7e308]), 0)).toBe(-1.7e308);
    expect(quantileOfSorted(Float64Array.from([-1.7e308, 1.7e308]), 1)).toBe(1.7e308);
  });

  it("stays between its two neighbouring order statistics and never decreases in q", () => {
    fc.assert(
      fc.property(sortedArray, level, level, (a, q1, q2) => {
        const [lo, hi] = q1 <= q2 ? [q1, q2] : [q2, q1];
        const vLo = quantileOfSorted(a, lo);
        const vHi = quantileOfSorted(a, hi);
        const pos = lo * (a.length - 1);
        expect(vLo).toBeGreaterThanOrEqual(a[Math.floor(pos)]);
        expect(vLo).toBeLessThanOrEqual(a[Math.min(a.length - 1, Math.floor(pos) + 1)]);
        // One rounding of the interpolation may cost an ulp-sized step; allow that much.
        expect(vHi).toBeGreaterThanOrEqual(vLo - 1e-9 * (1 + Math.abs(vLo)));
      }),
    );
  });

  it("matches numpy.quantile's default (linear) method", () => {
    const rng = new Rng(3);
    const arrays = Array.from({ length: 20 }, (_, t) =>
      Float64Array.from({ length: 1 + t * 7 }, () => rng.normal(0, 10)).sort(),
    );
    const levels = [0, 0.005, 0.025, 0.3, 0.5, 0.975, 0.995, 1];
    const script =
      "import json,sys,numpy as np\n" +
      "d=json.load(sys.stdin)\n" +
      "print(json.dumps([[float(np.quantile(np.array(a),q)) for q in d['levels']] for a in d['arrays']]))";
    const out = execFileSync("/usr/bin/python3", ["-c", script], {
      input: JSON.stringify({ arrays: arrays.map((a) => Array.from(a)), levels }),
      encoding: "utf8",
    });
    const expected = JSON.parse(out) as number[][];
    arrays.forEach((a, i) =>
      levels.forEach((q, j) => expect(quantileOfSorted(a, q)).toBeCloseTo(expected[i][j], 9)),
    );
  });
});
