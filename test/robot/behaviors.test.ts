import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { NotAvailableError } from "../../src/core/errors.js";
import { makeBehavior, type BehaviorLevel } from "../../src/robot/behaviors/index.js";
import { loadRobot } from "../../src/robot/load.js";
import { signalLayout } from "../../src/robot/signals.js";
import { collectEpisodes } from "../../src/sim/vector-env.js";

const ROBOTS = ["pendulum", "reacher2", "pusher"];

describe("behavior controllers", () => {
  it.each(ROBOTS)("orders expert > medium > random on %s (a few seeds)", async (robot) => {
    const mean: Record<string, number> = {};
    for (const level of ["random", "medium", "expert"] as BehaviorLevel[]) {
      const eps = await collectEpisodes({ robot, behavior: level, episodes: 4, seed: 31, workers: 0 });
      mean[level] = eps.reduce((s, e) => s + e.returns, 0) / eps.length;
    }
    expect(mean.expert, JSON.stringify(mean)).toBeGreaterThan(mean.medium);
    expect(mean.medium, JSON.stringify(mean)).toBeGreaterThan(mean.random);
  });

  it.each(ROBOTS)("writes finite normalized actions in [-1, 1] for any state (%s)", (robot) => {
    const { spec } = loadRobot(robot);
    const size = signalLayout(spec).size;
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: size, maxLength: size }),
        fc.constantFrom(0, 0.3, 0.5, 1),
        fc.nat(),
        (values, quality, seed) => {
          const c = makeBehavior(spec, { quality }, seed);
          const out = new Float64Array(spec.actuators.length);
          c.act(Float64Array.from(values), out);
          return out.every((x) => Number.isFinite(x) && x >= -1 && x <= 1);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("is deterministic for the same seed and differs across seeds", () => {
    const { spec } = loadRobot("reacher2");
    const sig = new Float64Array(signalLayout(spec).size).fill(0.1);
    const run = (seed: number): number[] => {
      const c = makeBehavior(spec, "medium", 0);
      c.reset(seed);
      const out = new Float64Array(2);
      const trace: number[] = [];
      for (let t = 0; t < 20; t++) {
        c.act(sig, out);
        trace.push(...out);
      }
      return trace;
    };
    expect(run(4)).toEqual(run(4));
    expect(run(4)).not.toEqual(run(5));
  });

  it("offers only random for a robot without a hand-made controller", () => {
    const { spec } = loadRobot("pendulum");
    const other = { ...spec, name: "mystery_arm" };
    const out = new Float64Array(1);
    makeBehavior(other, "random", 1).act(new Float64Array(8), out);
    expect(Math.abs(out[0])).toBeLessThanOrEqual(1);
    expect(() => makeBehavior(other, "expert", 1)).toThrow(NotAvailableError);
  });
});
