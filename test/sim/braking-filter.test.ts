import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { MujocoEnv } from "../../src/sim/mujoco-env.js";
import { BrakingFilter } from "../../src/sim/braking-filter.js";
import { hardLimitsFromSpec } from "../../src/safety/clamps/hard-limits.js";
import { Shield } from "../../src/safety/clamps/shield.js";

/**
 * The braking guarantee on the real MuJoCo models: with the shield's brake step on, no sequence of policy
 * outputs (constant pushes, bang-bang, NaN, energy pumping that reacts to the state) drives a joint past its
 * robot.yaml position or velocity limit less the safety margin (the joint-limit monitor's warning band). The same adversary without the brake step does, on every robot whose
 * limits it can reach, so the test can fail.
 */

type Segment = { kind: "const"; a: number[]; ticks: number } | { kind: "pump"; sign: number; ticks: number };

const ROBOTS = ["pendulum", "reacher2", "pusher"] as const;

interface Rig {
  env: MujocoEnv;
  filter: BrakingFilter;
  run(segments: Segment[], seed: number, brake: boolean): { violation: string; ticks: number };
}

async function rig(robot: string): Promise<Rig> {
  const env = await MujocoEnv.create(robot);
  const spec = env.robot.spec;
  const limits = hardLimitsFromSpec(spec);
  const filter = new BrakingFilter(env, spec, limits);
  const L = env.task.layout;
  // The filter keeps joints out of the monitor's margin band: position and velocity limits less the margin.
  const m = spec.safety.margin;
  const joints = spec.joints.map((j, i) => {
    const s = spec.safety.joints[j.name] ?? {};
    const band = s.position ? (m * (s.position[1] - s.position[0])) / 2 : 0;
    return {
      i,
      name: j.name,
      position: s.position && ([s.position[0] + band, s.position[1] - band] as const),
      velocity: s.velocity === undefined ? undefined : (1 - m) * s.velocity,
    };
  });
  const run = (segments: Segment[], seed: number, brake: boolean): { violation: string; ticks: number } => {
    env.reset(seed);
    const shield = new Shield({ limits, brake: brake ? filter : undefined });
    let sig = env.signals();
    let ticks = 0;
    const a = new Float64Array(env.actDim);
    for (const seg of segments) {
      for (let t = 0; t < seg.ticks; t++) {
        for (let k = 0; k < a.length; k++) {
          // pump: push each joint along its motion (adds energy as fast as the actuators can)
          const v = sig[L.velocity + spec.joints.findIndex((j) => j.name === spec.actuators[k].joint)];
          a[k] = seg.kind === "const" ? seg.a[k % seg.a.length] : seg.sign * (v >= 0 ? 1 : -1);
        }
        const out = shield.apply(a);
        const step = env.stepActuators(out.command);
        sig = step.info.signals as Float64Array;
        ticks++;
        for (const j of joints) {
          const p = sig[L.position + j.i];
          const v = sig[L.velocity + j.i];
          if (j.position && (p < j.position[0] || p > j.position[1]))
            return { violation: `${j.name} position ${p} at tick ${ticks}`, ticks };
          if (j.velocity !== undefined && Math.abs(v) > j.velocity)
            return { violation: `${j.name} velocity ${v} at tick ${ticks}`, ticks };
        }
        if (step.terminated) return { violation: "", ticks };
      }
    }
    return { violation: "", ticks };
  };
  return { env, filter, run };
}

const value = fc.oneof(
  fc.constantFrom(1, -1, NaN, 0),
  fc.double({ min: -1, max: 1, noNaN: true }),
  fc.double({ min: -20, max: 20, noNaN: true }),
);
const segment: fc.Arbitrary<Segment> = fc.oneof(
  fc.record({
    kind: fc.constant("const" as const),
    a: fc.array(value, { minLength: 2, maxLength: 2 }),
    ticks: fc.integer({ min: 1, max: 60 }),
  }),
  fc.record({
    kind: fc.constant("pump" as const),
    sign: fc.constantFrom(1, -1),
    ticks: fc.integer({ min: 20, max: 250 }),
  }),
);

describe("BrakingFilter on the MuJoCo models", () => {
  const rigs = new Map<string, Rig>();
  beforeAll(async () => {
    for (const r of ROBOTS) rigs.set(r, await rig(r));
  });
  afterAll(() => {
    for (const r of rigs.values()) {
      r.filter.close();
      r.env.close();
    }
  });

  it("picks the terminal condition each robot's physics allows", () => {
    expect(rigs.get("pendulum")!.filter.mode).toBe("energy"); // gravity out-pulls the 2 N·m motor
    expect(rigs.get("reacher2")!.filter.mode).toBe("rest");
    expect(rigs.get("pusher")!.filter.mode).toBe("rest");
  });

  it("without the brake step, the adversary does drive joints past their limits", () => {
    // pendulum: pumping energy passes 15 rad/s; reacher2: a constant elbow push passes 3 rad.
    expect(rigs.get("pendulum")!.run([{ kind: "pump", sign: 1, ticks: 2000 }], 1, false).violation).toMatch(
      /velocity/,
    );
    expect(rigs.get("reacher2")!.run([{ kind: "const", a: [0, 1], ticks: 200 }], 1, false).violation).toMatch(
      /elbow_joint position/,
    );
  });

  for (const robot of ROBOTS) {
    it(`${robot}: with the brake step, no sequence of policy outputs passes a position or velocity limit`, () => {
      const r = rigs.get(robot)!;
      fc.assert(
        fc.property(fc.array(segment, { minLength: 1, maxLength: 8 }), fc.nat(1000), (segments, seed) => {
          r.env.reset(seed);
          fc.pre(r.filter.recoverable());
          const before = r.filter.counts.unverified;
          const { violation } = r.run(segments, seed, true);
          expect(violation).toBe("");
          expect(r.filter.counts.unverified).toBe(before);
        }),
        { numRuns: 12, seed: 5 },
      );
      expect(r.filter.counts.braked).toBeGreaterThan(0); // the runs did reach the limits' neighbourhood
    });
  }
});
