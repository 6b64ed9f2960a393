/**
 * An independent check of every published command, written without the shield's code: finite, inside the
 * robot's hard limits (actuator range ∩ effort), inside the action box and the rate limit (both mapped to
 * actuator units) — except an e-stop command, which must be exactly zero effort.
 */
import type { RobotSpec } from "../../robot/spec.js";

export interface CheckerConfig {
  spec: RobotSpec;
  /** Normalized box and rate limit the shield was configured with. */
  box: { lo: ArrayLike<number>; hi: ArrayLike<number> };
  maxDelta: number;
  tolerance?: number;
}

export class CommandChecker {
  unsafe = 0;
  checked = 0;
  readonly reasons: string[] = [];
  private readonly lo: number[];
  private readonly hi: number[];
  private readonly boxLo: number[];
  private readonly boxHi: number[];
  private readonly step: number[];
  private readonly tol: number;
  private prev: number[] | undefined;

  constructor(config: CheckerConfig) {
    const { spec } = config;
    this.tol = config.tolerance ?? 1e-9;
    this.lo = spec.actuators.map((a) =>
      Math.max(a.range[0], -(spec.safety.joints[a.joint]?.effort ?? Infinity)),
    );
    this.hi = spec.actuators.map((a) =>
      Math.min(a.range[1], spec.safety.joints[a.joint]?.effort ?? Infinity),
    );
    const units = (x: number, i: number): number => {
      const [l, h] = spec.actuators[i].range;
      return l + ((x + 1) / 2) * (h - l);
    };
    this.boxLo = spec.actuators.map((_, i) => units(config.box.lo[i], i));
    this.boxHi = spec.actuators.map((_, i) => units(config.box.hi[i], i));
    this.step = spec.actuators.map((a) => (config.maxDelta * (a.range[1] - a.range[0])) / 2);
  }

  /** Checks one published command; `estop` commands must be zero effort and reset the rate reference. */
  check(command: ArrayLike<number>, estop: boolean, tick: number): boolean {
    this.checked++;
    let why = "";
    for (let i = 0; i < this.lo.length && why === ""; i++) {
      const c = command[i];
      if (!Number.isFinite(c)) why = `command[${i}] = ${c}`;
      else if (c < this.lo[i] - this.tol || c > this.hi[i] + this.tol)
        why = `command[${i}] = ${c} outside hard limits`;
      else if (estop) {
        if (c !== Math.min(this.hi[i], Math.max(this.lo[i], 0)))
          why = `e-stop command[${i}] = ${c} is not zero effort`;
      } else if (
        c < Math.min(this.boxLo[i], this.boxHi[i]) - this.tol ||
        c > Math.max(this.boxLo[i], this.boxHi[i]) + this.tol
      ) {
        why = `command[${i}] = ${c} outside the action box`;
      } else if (this.prev !== undefined && Math.abs(c - this.prev[i]) > this.step[i] + this.tol) {
        why = `command[${i}] changed by ${Math.abs(c - this.prev[i])} > ${this.step[i]}`;
      }
    }
    this.prev = Array.from(command);
    if (why !== "") {
      this.unsafe++;
      if (this.reasons.length < 10) this.reasons.push(`tick ${tick}: ${why}`);
      return false;
    }
    return true;
  }
}
