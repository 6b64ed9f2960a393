/**
 * The Shield: every action on its way to an actuator passes these steps, in this fixed order.
 *
 *   1. guard    NaN, ±Inf or |a| > hugeAbs in any dimension: the whole action is replaced by the fallback's
 *               action (when given and usable) or by the last safe action. Never propagated.
 *   2. box      the dataset's action-quantile box (with margin).
 *   3. support  the state-conditional support interval (mean ± k·spread), intersected with the box.
 *   3b. soft    soft position limits for this state (see soft-limits.ts), intersected with the box: they
 *               override the support interval, since a joint near its stop outranks staying in support.
 *   4. rate     |a - previous safe a| <= maxDelta per dimension per tick.
 *   5. hard     the robot's actuator range ∩ effort limits, so nothing above can loosen it.
 *   6. brake    (when a model is at hand, `brake`) braking-aware position and velocity limits by one-step
 *               model prediction (sim/braking-filter.ts): the command may be replaced by the braking
 *               command, still inside the hard limits; it outranks box and rate limit, which do not hold
 *               on a tick this step acted (flags.brake).
 *
 * Steps 1-5 work in the policy's normalized [-1, 1] space; the command is then scaled to actuator units and
 * clamped once more to the hard limits in units (exact, no rounding escape).
 *
 * Guarantee, per dimension, every tick the brake step did not act: let r be the previous command (after `reset`/`resetToMeasured`/
 * `force`: the reference given, non-finite taken as the initial command (zero effort), clamped into the hard limits H), R the rate
 * interval [r - maxDelta, r + maxDelta] and B the box. The command lies in H ∩ R. If B ∩ H ∩ R is not
 * empty it lies in it; otherwise it is the point of H ∩ R nearest to B, so a reference outside the box (zero
 * effort after an e-stop, a measured effort the dataset never used) reaches B ∩ H in
 * ceil(distance / maxDelta) ticks and stays. (Clamping into an interval that meets an earlier one keeps
 * the point inside the earlier one: all sets here are intervals.)
 *
 * All buffers are allocated once: `apply` allocates nothing and returns the same output object every tick.
 */
import { ShapeMismatchError, ConfigError } from "../../core/errors.js";
import { clampToBox, type ActionBox } from "./action-box.js";
import { clampToSupport, type SupportModel } from "./support-clamp.js";
import { rateLimit } from "./rate-limit.js";
import { toNormalized, toUnits, type HardLimits } from "./hard-limits.js";

/**
 * A last, model-based step on the command in actuator units (e.g. sim/braking-filter.ts): may replace it
 * (returns true) with one that keeps the robot inside its position and velocity limits.
 */
export interface CommandFilter {
  filter(command: Float64Array): boolean;
}

export interface ShieldConfig {
  limits: HardLimits;
  /** Dataset action box, normalized; default: the hard limits themselves. */
  box?: ActionBox;
  /** State-conditional support model of the policy package. */
  support?: SupportModel;
  /** Largest change per tick per dimension in normalized units (a number applies to all). Default: none. */
  maxDelta?: number | ArrayLike<number>;
  /** Actions with a magnitude above this (normalized) are faults, not just out of range. Default 10. */
  hugeAbs?: number;
  /** The safe command before the first tick, normalized. Default: zero effort. */
  initial?: ArrayLike<number>;
  /** Braking-aware limits by model prediction, applied last (see `useBrake`). */
  brake?: CommandFilter;
}

/** Which steps acted on the last tick. */
export interface ShieldFlags {
  nonFinite: boolean;
  substitutedBy: "none" | "fallback" | "hold";
  box: boolean;
  support: boolean;
  soft: boolean;
  rate: boolean;
  hard: boolean;
  /** The braking step replaced the command. */
  brake: boolean;
}

export interface ShieldOutput {
  /** The safe action, normalized [-1, 1]. */
  readonly action: Float64Array;
  /** The safe command in actuator units: this is what may be published. */
  readonly command: Float64Array;
  readonly flags: ShieldFlags;
}

export interface ShieldCounts {
  ticks: number;
  nonFinite: number;
  box: number;
  support: number;
  soft: number;
  rate: number;
  hard: number;
  brake: number;
}

export class Shield {
  readonly dim: number;
  readonly limits: HardLimits;
  readonly box: ActionBox;
  readonly counts: ShieldCounts = {
    ticks: 0,
    nonFinite: 0,
    box: 0,
    support: 0,
    soft: 0,
    rate: 0,
    hard: 0,
    brake: 0,
  };
  private brake: CommandFilter | undefined;
  private readonly support: SupportModel | undefined;
  private readonly maxDelta: Float64Array;
  private readonly hugeAbs: number;
  private readonly prev: Float64Array;
  private readonly initial: Float64Array;
  private readonly supLo: Float64Array;
  private readonly supHi: Float64Array;
  private readonly out: ShieldOutput;
  private readonly scratch: Float64Array;
  private prepared = false;
  private readonly softLo: Float64Array;
  private readonly softHi: Float64Array;
  private softPrepared = false;

  constructor(config: ShieldConfig) {
    const n = config.limits.lo.length;
    this.dim = n;
    this.limits = config.limits;
    this.box = config.box ?? {
      lo: Float64Array.from(config.limits.loNorm),
      hi: Float64Array.from(config.limits.hiNorm),
    };
    if (this.box.lo.length !== n)
      throw new ShapeMismatchError("shield: action box dimension", n, this.box.lo.length);
    this.support = config.support;
    this.brake = config.brake;
    this.hugeAbs = config.hugeAbs ?? 10;
    if (!(this.hugeAbs > 1) || !Number.isFinite(this.hugeAbs)) {
      throw new ConfigError("shield", "huge_abs", "must be a finite number > 1", {
        actual: String(this.hugeAbs),
      });
    }
    this.maxDelta = new Float64Array(n).fill(Infinity);
    if (config.maxDelta !== undefined) {
      const md = config.maxDelta;
      if (typeof md !== "number" && md.length !== n)
        throw new ShapeMismatchError("shield: max_delta length", n, md.length);
      for (let i = 0; i < n; i++) {
        const v = typeof md === "number" ? md : md[i];
        if (!(v > 0))
          throw new ConfigError("shield", `max_delta[${i}]`, "must be > 0", { actual: String(v) });
        this.maxDelta[i] = v;
      }
    }
    this.initial = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const z = config.initial ? config.initial[i] : zeroNormalized(config.limits, i);
      if (!Number.isFinite(z))
        throw new ConfigError("shield", `initial[${i}]`, "must be finite", { actual: String(z) });
      this.initial[i] = Math.min(config.limits.hiNorm[i], Math.max(config.limits.loNorm[i], z));
    }
    this.prev = Float64Array.from(this.initial);
    this.supLo = new Float64Array(n);
    this.supHi = new Float64Array(n);
    this.scratch = new Float64Array(n);
    this.softLo = new Float64Array(n);
    this.softHi = new Float64Array(n);
    this.out = {
      action: new Float64Array(n),
      command: new Float64Array(n),
      flags: {
        nonFinite: false,
        substitutedBy: "none",
        box: false,
        support: false,
        soft: false,
        rate: false,
        hard: false,
        brake: false,
      },
    };
  }

  /** Sets (or, with undefined, removes) the braking step, e.g. when the model it predicts with changes. */
  useBrake(brake: CommandFilter | undefined): void {
    this.brake = brake;
  }

  /** The last safe action (normalized) — the reference of the rate limit and the "hold" fallback. */
  get lastSafe(): Float64Array {
    return this.prev;
  }

  /**
   * A start (a new episode, the first tick, after an e-stop reset): `reference` (normalized; default the
   * initial command) becomes the previous command the rate limit measures from. A non-finite entry is taken
   * as the initial command, and every entry is clamped into the hard limits, so the next `apply` is inside
   * hard ∩ rate whatever the reference was.
   */
  reset(reference?: ArrayLike<number>): void {
    for (let i = 0; i < this.dim; i++) this.prev[i] = this.reference(reference ? reference[i] : undefined, i);
  }

  /**
   * A start from the measured actuator efforts (units, e.g. /joint_states effort; NaN where unknown): the
   * first command is rate-limited from what the actuators are doing, not from an assumed zero.
   */
  resetToMeasured(effort: ArrayLike<number>): void {
    const lim = this.limits;
    for (let i = 0; i < this.dim; i++)
      this.prev[i] = this.reference(toNormalized(effort[i], lim.rangeLo[i], lim.rangeHi[i]), i);
  }

  /**
   * Sets the previous command without clamps other than the hard limits (e.g. the e-stop commanded zero
   * effort), so the next tick is rate-limited from what was really sent.
   */
  force(normalized: ArrayLike<number>): void {
    for (let i = 0; i < this.dim; i++) this.prev[i] = this.reference(normalized[i], i);
  }

  private reference(v: number | undefined, i: number): number {
    const x = v !== undefined && Number.isFinite(v) ? v : this.initial[i];
    return Math.min(this.limits.hiNorm[i], Math.max(this.limits.loNorm[i], x));
  }

  /**
   * Evaluates the support model for this tick's observation once; the next `measureGap` and `apply` calls
   * (without an `obs` argument) use these bounds.
   */
  prepare(obs: Float32Array): void {
    if (this.support === undefined) return;
    this.support.bounds(obs, this.supLo, this.supHi);
    this.prepared = true;
  }

  /**
   * Soft position-limit bounds (normalized) for the next `apply`, clipped into the box so the box guarantee
   * holds. Copied: the caller may reuse its arrays.
   */
  prepareSoftLimits(lo: ArrayLike<number>, hi: ArrayLike<number>): void {
    for (let i = 0; i < this.dim; i++) {
      this.softLo[i] = Math.min(this.box.hi[i], Math.max(this.box.lo[i], lo[i]));
      this.softHi[i] = Math.min(this.box.hi[i], Math.max(this.box.lo[i], hi[i]));
    }
    this.softPrepared = true;
  }

  /**
   * How far `raw` lies outside box ∩ support (Euclidean, normalized units; 0 inside, Infinity when `raw` is
   * unusable). Uses the bounds from `prepare`. Changes no state.
   */
  measureGap(raw: ArrayLike<number>): number {
    const n = this.dim;
    if (raw.length !== n || !usable(raw, n, this.hugeAbs)) return Infinity;
    const x = this.scratch;
    for (let i = 0; i < n; i++) x[i] = raw[i];
    clampToBox(x, this.box.lo, this.box.hi);
    if (this.prepared) clampToSupport(x, this.supLo, this.supHi, this.box.lo, this.box.hi);
    let sq = 0;
    for (let i = 0; i < n; i++) sq += (x[i] - raw[i]) * (x[i] - raw[i]);
    return Math.sqrt(sq);
  }

  /**
   * One tick: `raw` is the policy's action (normalized), `obs` the observation it acted on (for the support
   * model), `fallback` the fallback controller's action for this tick (used if `raw` is unusable).
   */
  apply(raw: ArrayLike<number>, obs?: Float32Array, fallback?: ArrayLike<number>): ShieldOutput {
    const n = this.dim;
    if (raw.length !== n) throw new ShapeMismatchError("shield: action length", n, raw.length);
    const x = this.out.action;
    const flags = this.out.flags;
    this.counts.ticks++;

    // 1. guard
    flags.nonFinite = !usable(raw, n, this.hugeAbs);
    flags.substitutedBy = "none";
    if (flags.nonFinite) {
      this.counts.nonFinite++;
      if (fallback !== undefined && fallback.length === n && usable(fallback, n, this.hugeAbs)) {
        for (let i = 0; i < n; i++) x[i] = fallback[i];
        flags.substitutedBy = "fallback";
      } else {
        for (let i = 0; i < n; i++) x[i] = this.prev[i];
        flags.substitutedBy = "hold";
      }
    } else {
      for (let i = 0; i < n; i++) x[i] = raw[i];
    }

    // 2. box
    flags.box = clampToBox(x, this.box.lo, this.box.hi) > 0;
    if (flags.box) this.counts.box++;

    // 3. support
    flags.support = false;
    if (obs !== undefined) this.prepare(obs);
    if (this.prepared) {
      this.prepared = false;
      flags.support = clampToSupport(x, this.supLo, this.supHi, this.box.lo, this.box.hi) > 0;
      if (flags.support) this.counts.support++;
    }

    // 3b. soft position limits
    flags.soft = false;
    if (this.softPrepared) {
      this.softPrepared = false;
      flags.soft = clampToBox(x, this.softLo, this.softHi) > 0;
      if (flags.soft) this.counts.soft++;
    }

    // 4. rate
    flags.rate = rateLimit(x, this.prev, this.maxDelta) > 0;
    if (flags.rate) this.counts.rate++;

    // 5. hard limits (normalized), then units with an exact final clamp
    flags.hard = clampToBox(x, this.limits.loNorm, this.limits.hiNorm) > 0;
    if (flags.hard) this.counts.hard++;
    const cmd = this.out.command;
    const lim = this.limits;
    for (let i = 0; i < n; i++) {
      const u = toUnits(x[i], lim.rangeLo[i], lim.rangeHi[i]);
      cmd[i] = u < lim.lo[i] ? lim.lo[i] : u > lim.hi[i] ? lim.hi[i] : u;
    }

    // 6. brake: position/velocity limits ahead, by model prediction; outranks box and rate limit
    flags.brake = this.brake !== undefined && this.brake.filter(cmd);
    if (flags.brake) {
      this.counts.brake++;
      for (let i = 0; i < n; i++) {
        const u = cmd[i];
        cmd[i] = u < lim.lo[i] ? lim.lo[i] : u > lim.hi[i] ? lim.hi[i] : u;
        x[i] = toNormalized(cmd[i], lim.rangeLo[i], lim.rangeHi[i]);
      }
    }
    for (let i = 0; i < n; i++) this.prev[i] = x[i];
    return this.out;
  }
}

function usable(a: ArrayLike<number>, n: number, hugeAbs: number): boolean {
  for (let i = 0; i < n; i++) {
    const v = a[i];
    // `!(|v| <= hugeAbs)` is true for NaN too.
    if (!(Math.abs(v) <= hugeAbs)) return false;
  }
  return true;
}

function zeroNormalized(limits: HardLimits, i: number): number {
  const lo = limits.rangeLo[i];
  const hi = limits.rangeHi[i];
  return (2 * (limits.zero[i] - lo)) / (hi - lo) - 1;
}
