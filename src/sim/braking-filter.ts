/**
 * Braking-aware position and velocity limits by one-step model prediction, for the Shield's last step
 * (ShieldConfig.brake) wherever a MuJoCo model of the robot is at hand (sim, shadow, canary, fine-tuning).
 *
 * Each tick the filter copies the live state into a scratch MjData and asks: after this command is held for
 * one control period, and then the braking law is held period after period, does every limited joint stay
 * inside its robot.yaml position and velocity limits, less the safety margin (so the joint-limit monitor's
 * warning band is not entered either), at every physics step until the robot is safe for good? If yes the command passes unchanged. If not, the command is replaced by the braking law's command.
 * The braking law: per actuator, half the effort that would stop its joint in one period, u = -½·M_jj·v/dt,
 * clamped to the hard effort limits (full effort against the motion when the joint is fast).
 *
 * "Safe for good" (the terminal condition) depends on the robot, found at construction:
 *   rest    no gravity or other standing force on the actuated joints and damping on each of them
 *           (reacher2, pusher): every actuated joint below REST_SPEED, each limited joint farther inside its
 *           range than it can coast from its speed under its damping.
 *   energy  one actuated hinge that gravity acts on (pendulum, whose 2 N·m motor cannot stop gravity's
 *           4.9 N·m, so no deceleration can be promised): total energy at most the potential minimum plus
 *           ½·M·V², so |v| <= V wherever the joint is; braking never adds energy (u·v <= 0, damping >= 0).
 *   none    anything else: the filter still brakes, but verifies nothing (`mode` says so).
 *
 * Guarantee (deterministic simulation, the command sent is the one filtered, the step starts from a state
 * the braking law can recover; `recoverable()` checks that): every later state, at every physics step,
 * is inside the position and velocity limits, whatever the policy outputs. By induction: the command
 * accepted at tick t comes with a verified braking continuation; at t+1 that continuation's first command is
 * the braking command, so the fallback is always verified too. `unverified` counts ticks where neither was
 * (the precondition was broken); braking is still sent then.
 */
import { ConfigError } from "../core/errors.js";
import type { RobotSpec } from "../robot/spec.js";
import type { HardLimits } from "../safety/clamps/hard-limits.js";
import type { CommandFilter } from "../safety/clamps/shield.js";
import type { MjData } from "./mujoco.js";
import type { MujocoEnv } from "./mujoco-env.js";

/** Joint speed (rad/s or m/s) below which a joint counts as at rest. */
const REST_SPEED = 1e-3;
/**
 * Fraction of the one-period stopping effort the braking law uses: a full per-joint deadbeat gain overshoots
 * and grows on coupled joints (reacher2's two links); half of it settles geometrically.
 */
const BRAKE_GAIN = 0.5;
/** Control periods the braking continuation may take to reach the terminal condition. */
const DEFAULT_HORIZON = 100;

interface Limited {
  actuator: number;
  ctrl: number;
  dof: number;
  qadr: number;
  position: readonly [number, number] | undefined;
  velocity: number;
  lo: number;
  hi: number;
  /** Diagonal of the mass matrix at the start configuration: the braking law's gain is M/dt. */
  inertia: number;
  /**
   * Damping time constant M/b, doubled for the inertia's change with configuration: a joint at speed v
   * coasts at most v·coastTime under its damping (rest mode).
   */
  coastTime: number;
}

export type BrakingMode = "rest" | "energy" | "none";

export class BrakingFilter implements CommandFilter {
  readonly mode: BrakingMode;
  readonly counts = { checked: 0, braked: 0, unverified: 0 };
  private readonly joints: Limited[];
  private readonly scratch: MjData;
  private readonly dt: number;
  private readonly horizon: number;
  private readonly brakeCmd: Float64Array;
  private energyCap = Infinity;

  constructor(
    private readonly env: MujocoEnv,
    spec: RobotSpec,
    limits: HardLimits,
    options: {
      horizon?: number;
      /**
       * Keep joints this fraction of each limit inside it (default robot.yaml safety.margin): the limits are
       * then met before the joint-limit monitor's margin band, not only before the hard limits.
       */
      margin?: number;
    } = {},
  ) {
    const { mj, model, binding, frameSkip } = env.physics();
    this.dt = model.opt.timestep * frameSkip;
    this.horizon = options.horizon ?? DEFAULT_HORIZON;
    this.scratch = new mj.MjData(model);
    this.brakeCmd = new Float64Array(spec.actuators.length);
    const jointIndex = new Map(spec.joints.map((j, i) => [j.name, i]));
    const damping = model.dof_damping as Float64Array;
    const margin = options.margin ?? spec.safety.margin;
    if (!(margin >= 0 && margin < 0.5))
      throw new ConfigError("braking filter", "margin", "must be in [0, 0.5)", { actual: String(margin) });
    const inertia = this.effectiveInertia(env, spec, binding);
    this.joints = spec.actuators.map((a, i) => {
      const j = jointIndex.get(a.joint);
      if (j === undefined)
        throw new ConfigError(`robots/${spec.name}/robot.yaml`, `actuators.${i}.joint`, "unknown joint");
      const s = spec.safety.joints[a.joint] ?? {};
      const dof = binding.dofAdr[j];
      return {
        actuator: i,
        ctrl: binding.ctrlIdx[i],
        dof,
        qadr: binding.qposAdr[j],
        position: s.position && shrink(s.position, margin),
        velocity: (1 - margin) * (s.velocity ?? Infinity),
        lo: limits.lo[i],
        hi: limits.hi[i],
        inertia: inertia[i],
        coastTime: damping[dof] > 0 ? (2 * inertia[i]) / damping[dof] : Infinity,
      };
    });
    this.mode = this.findMode();
  }

  /** Whether the braking law, started now, keeps every limit (the guarantee's precondition). */
  recoverable(): boolean {
    this.brakingCommand(this.env.physics().data, this.brakeCmd);
    return this.verify(this.brakeCmd);
  }

  /** Replaces `command` (actuator units) by the braking command when it cannot be verified; returns whether. */
  filter(command: Float64Array): boolean {
    this.counts.checked++;
    if (this.verify(command)) return false;
    this.brakingCommand(this.env.physics().data, command);
    this.counts.braked++;
    if (!this.verify(command)) this.counts.unverified++;
    return true;
  }

  close(): void {
    this.scratch.delete();
  }

  /** Simulates `command` for one period from the live state, then the braking law; true if all limits hold. */
  private verify(command: ArrayLike<number>): boolean {
    if (this.mode === "none") return false;
    const { mj, model, data, frameSkip } = this.env.physics();
    const s = this.scratch;
    mj.mj_copyState(model, data, s, mj.mjtState.mjSTATE_INTEGRATION.value);
    const ctrl = s.ctrl as Float64Array;
    for (const j of this.joints) ctrl[j.ctrl] = command[j.actuator];
    for (let period = 0; period <= this.horizon; period++) {
      for (let k = 0; k < frameSkip; k++) {
        mj.mj_step(model, s);
        if (!this.inside(s)) return false;
      }
      if (this.terminal(s)) return true;
      this.brakingCommand(s, this.brakeCmd);
      const c = s.ctrl as Float64Array;
      for (const j of this.joints) c[j.ctrl] = this.brakeCmd[j.actuator];
    }
    return false;
  }

  private inside(s: MjData): boolean {
    const qpos = s.qpos as Float64Array;
    const qvel = s.qvel as Float64Array;
    for (const j of this.joints) {
      const v = qvel[j.dof];
      if (!(Math.abs(v) <= j.velocity)) return false;
      if (j.position !== undefined) {
        const p = qpos[j.qadr];
        if (!(p >= j.position[0] && p <= j.position[1])) return false;
      }
    }
    return true;
  }

  private terminal(s: MjData): boolean {
    if (this.mode === "energy") {
      const { mj, model } = this.env.physics();
      mj.mj_forward(model, s);
      const e = s.energy as Float64Array;
      return e[0] + e[1] <= this.energyCap;
    }
    const qpos = s.qpos as Float64Array;
    const qvel = s.qvel as Float64Array;
    for (const j of this.joints) {
      const speed = Math.abs(qvel[j.dof]);
      if (speed > REST_SPEED) return false;
      if (j.position !== undefined) {
        // distance left - speed·coastTime never decreases while damping (and braking) slow the joint: the
        // terminal set is invariant, so a later tick's continuation ends in it too.
        const coast = speed * j.coastTime;
        const p = qpos[j.qadr];
        if (p - j.position[0] < coast || j.position[1] - p < coast) return false;
      }
    }
    return true;
  }

  /** The braking law for the state in `s`, into `out` (actuator units). */
  private brakingCommand(s: MjData, out: Float64Array): void {
    const qvel = s.qvel as Float64Array;
    for (const j of this.joints) {
      const u = (-BRAKE_GAIN * j.inertia * qvel[j.dof]) / this.dt;
      out[j.actuator] = u < j.lo ? j.lo : u > j.hi ? j.hi : u;
    }
  }

  /**
   * Per actuator, the inertia its joint shows to it at the start state: 1 / (change of the joint's
   * acceleration per unit of effort), measured with mj_forward (coupling included). The braking law's gain.
   */
  private effectiveInertia(
    env: MujocoEnv,
    spec: RobotSpec,
    binding: ReturnType<MujocoEnv["physics"]>["binding"],
  ): Float64Array {
    const { mj, model, data } = env.physics();
    const s = this.scratch;
    const out = new Float64Array(spec.actuators.length);
    for (let i = 0; i < out.length; i++) {
      mj.mj_copyState(model, data, s, mj.mjtState.mjSTATE_INTEGRATION.value);
      const ctrl = s.ctrl as Float64Array;
      ctrl.fill(0);
      const dof = binding.dofAdr[spec.joints.findIndex((j) => j.name === spec.actuators[i].joint)];
      mj.mj_forward(model, s);
      const a0 = (s.qacc as Float64Array)[dof];
      ctrl[binding.ctrlIdx[i]] = 1;
      mj.mj_forward(model, s);
      const a1 = (s.qacc as Float64Array)[dof];
      out[i] = 1 / (a1 - a0);
      if (!(out[i] > 0 && Number.isFinite(out[i])))
        throw new ConfigError(
          `robots/${spec.name}/model.xml`,
          `actuator ${spec.actuators[i].name}`,
          "does not accelerate its joint positively",
          { actual: String(a1 - a0) },
        );
    }
    return out;
  }

  /** Which terminal condition is sound for this robot (see the file comment). */
  private findMode(): BrakingMode {
    const { mj, model, data } = this.env.physics();
    const s = this.scratch;
    mj.mj_copyState(model, data, s, mj.mjtState.mjSTATE_INTEGRATION.value);
    const qpos = s.qpos as Float64Array;
    const qvel = s.qvel as Float64Array;
    (s.ctrl as Float64Array).fill(0);
    qvel.fill(0);
    // Standing force on an actuated joint at rest, over a sweep of its configurations.
    let standing = 0;
    for (let k = 0; k < 16; k++) {
      for (const j of this.joints) {
        const [lo, hi] = j.position ?? [-Math.PI, Math.PI];
        qpos[j.qadr] = lo + ((k + 0.5) / 16) * (hi - lo);
      }
      mj.mj_forward(model, s);
      const bias = s.qfrc_bias as Float64Array;
      for (const j of this.joints) standing = Math.max(standing, Math.abs(bias[j.dof]));
    }
    if (standing < 1e-9 && this.joints.every((j) => Number.isFinite(j.coastTime))) return "rest";
    const only = this.joints.length === 1 ? this.joints[0] : undefined;
    if (only === undefined || only.position !== undefined || !Number.isFinite(only.velocity)) return "none";
    // energy: MuJoCo computes potential and kinetic energy in mj_forward once the flag is on (no effect on
    // the dynamics). The cap: the lowest potential over a sweep of the joint, plus ½·M·V².
    model.opt.enableflags |= mj.mjtEnableBit.mjENBL_ENERGY.value;
    let minPotential = Infinity;
    for (let k = 0; k < 720; k++) {
      qpos[only.qadr] = -Math.PI + (k / 720) * 2 * Math.PI;
      mj.mj_forward(model, s);
      minPotential = Math.min(minPotential, (s.energy as Float64Array)[0]);
    }
    this.energyCap = minPotential + 0.5 * only.inertia * only.velocity * only.velocity;
    return "energy";
  }
}

function shrink(range: readonly [number, number], margin: number): readonly [number, number] {
  const band = (margin * (range[1] - range[0])) / 2;
  return [range[0] + band, range[1] - band];
}
