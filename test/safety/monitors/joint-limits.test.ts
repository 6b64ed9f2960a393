import { describe, expect, it } from "vitest";
import { jointLimits, jointLimitsConfigFromSpec } from "../../../src/safety/monitors/joint-limits.js";
import type { JointSample } from "../../../src/safety/monitors/joint-limits.js";
import { ConfigError } from "../../../src/core/errors.js";
import { twoJointSpec } from "../fixtures.js";
import { ev, newScheduler, operatorContract } from "./contract.js";

const config = jointLimitsConfigFromSpec(twoJointSpec()); // margin 0.1; shoulder pos [-1.5,1.5] vel 4 effort 1.5
const ok: JointSample = { stamp: 0, position: [0, 0], velocity: [0, 0], effort: [0, 0] };

describe("jointLimits", () => {
  operatorContract((scheduler) => jointLimits({ ...config, scheduler }), ok);

  it("warns inside the position/velocity margin, is silent on effort within its limit, fatal beyond any limit", () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      const src = cold<JointSample>("a-b-c-d-e-|", {
        a: ok,
        b: { stamp: 2, position: [1.4, 0], velocity: [0, 0], effort: [0, 0] }, // soft edge 1.35
        c: { stamp: 4, position: [0, 0], velocity: [0, -5.5], effort: [0, 0] }, // elbow |v| > 5
        d: { stamp: 6, position: [0, 0], velocity: [3.7, 0], effort: [1.5, 0] }, // 3.7 > 3.6; effort at its limit
        e: { stamp: 8, position: [0, 0], velocity: [0, 0], effort: [-1.6, 0] }, // effort beyond 1.5
      });
      expectObservable(src.pipe(jointLimits({ ...config, scheduler: ts }))).toBe("--b-c-d-e-|", {
        b: ev({ key: "shoulder.position", severity: "warn", observed: 1.4, stamp: 2 }),
        c: ev({ key: "elbow.velocity", severity: "fatal", limit: 5, observed: -5.5 }),
        d: ev({ key: "shoulder.velocity", severity: "warn" }),
        e: ev({ key: "shoulder.effort", severity: "fatal", limit: 1.5, observed: -1.6, stamp: 8 }),
      });
    });
  });

  it("ignores joints not reported (empty arrays)", () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold<JointSample>("a|", { a: { stamp: 0, position: [], velocity: [], effort: [] } });
      expectObservable(src.pipe(jointLimits(config))).toBe("-|");
    });
  });

  it("rejects invalid config at creation", () => {
    expect(() => jointLimits({ ...config, margin: 0.9 })).toThrow(ConfigError);
    expect(() => jointLimits({ margin: 0.1, joints: [{ name: "a", position: [1, -1] }] })).toThrow(
      /joints.0.position/,
    );
    expect(() => jointLimits({ margin: 0.1, joints: [{ name: "a", velocity: 0 }] })).toThrow(
      /joints.0.velocity/,
    );
  });
});
