/**
 * MujocoEnv: one robot folder (robot.yaml + MJCF) as an `Env`. Normalized [-1, 1] actions are scaled to the
 * actuator ranges, held for `frame_skip` physics steps, and the new state is turned into the signal vector
 * (src/robot/signals.ts) from which observation, reward and termination are computed by the robot's spec,
 * exactly as they are for a logged step. Same seed + same actions -> bit-identical trajectory.
 *
 * The hot loop reads qpos/qvel/qfrc_actuator through live views into WASM memory and allocates only the
 * returned observation and signal copies.
 */
import { ConfigError, NonFiniteError, ShapeMismatchError } from "../core/errors.js";
import type { Env, StepResult } from "../core/env.js";
import { Rng } from "../core/rng.js";
import { compileExpr, type CompiledExpr } from "../core/expr.js";
import { loadRobot, type LoadedRobot } from "../robot/load.js";
import { compileTask, type TaskFunctions } from "../robot/task-functions.js";
import { bindModel, type ModelBinding } from "./model-binding.js";
import { loadMjcfFile, loadMujocoModule, type MjData, type MjModel, type MujocoModule } from "./mujoco.js";

export interface MujocoEnvOptions {
  /** Seeds the stream used by `reset()` without an explicit seed. */
  seed?: number;
}

/** Rejection-sampling budget for `reset.task_valid`. */
const MAX_TASK_DRAWS = 1000;

/** Relative mismatch allowed between timestep × frame_skip and 1 / rate_hz. */
const PERIOD_TOLERANCE = 1e-6;

export class MujocoEnv implements Env {
  readonly obsDim: number;
  readonly actDim: number;
  readonly frameSkip: number;
  readonly maxEpisodeSteps: number;
  /** Steps taken since the last reset. */
  elapsedSteps = 0;

  private readonly binding: ModelBinding;
  private readonly nJoints: number;
  private readonly sig: Float64Array;
  private readonly command: Float64Array;
  private readonly scratch: Float64Array;
  private rng: Rng;
  private readonly taskValid: CompiledExpr | undefined;
  private closed = false;
  private qpos!: Float64Array;
  private qvel!: Float64Array;
  private ctrl!: Float64Array;
  private qfrcActuator!: Float64Array;

  private constructor(
    readonly robot: LoadedRobot,
    readonly task: TaskFunctions,
    private readonly mj: MujocoModule,
    private readonly model: MjModel,
    private readonly data: MjData,
    seed: number,
  ) {
    const { spec } = robot;
    this.binding = bindModel(mj, model, robot);
    this.obsDim = task.obsDim;
    this.actDim = task.actDim;
    this.frameSkip = spec.control.frame_skip;
    this.maxEpisodeSteps = spec.control.max_episode_steps;
    this.nJoints = spec.joints.length;
    this.sig = new Float64Array(task.layout.size);
    this.command = new Float64Array(this.actDim);
    this.scratch = new Float64Array(this.actDim);
    this.rng = new Rng(seed);
    const valid = spec.reset.task_valid;
    this.taskValid =
      valid === undefined ? undefined : compileExpr(valid, (n) => task.layout.index.get(n) ?? -1);
    this.refreshViews();
    this.reset(seed);
  }

  static async create(robot: string | LoadedRobot, options: MujocoEnvOptions = {}): Promise<MujocoEnv> {
    const loaded = typeof robot === "string" ? loadRobot(robot) : robot;
    const mj = await loadMujocoModule();
    const model = loadMjcfFile(mj, loaded.modelFile);
    let data: MjData | undefined;
    try {
      const period = model.opt.timestep * loaded.spec.control.frame_skip;
      const expected = 1 / loaded.spec.control.rate_hz;
      if (Math.abs(period - expected) > PERIOD_TOLERANCE * expected)
        throw new ConfigError(
          loaded.specFile,
          "control.frame_skip",
          "MJCF timestep × frame_skip must equal 1 / rate_hz",
          {
            expected: `${expected} s`,
            actual: `${model.opt.timestep} s × ${loaded.spec.control.frame_skip} = ${period} s`,
          },
        );
      data = new mj.MjData(model);
      return new MujocoEnv(loaded, compileTask(loaded.spec), mj, model, data, options.seed ?? 0);
    } catch (err) {
      data?.delete();
      model.delete();
      throw err;
    }
  }

  /** Draws the task fields from their reset ranges, again until `reset.task_valid` holds. */
  private drawTask(rng: Rng): void {
    const { layout } = this.task;
    const { spec } = this.robot;
    for (let attempt = 0; attempt < MAX_TASK_DRAWS; attempt++) {
      for (let k = layout.task; k < layout.size; k++) {
        const range = spec.reset.task[layout.names[k].slice("task.".length)];
        this.sig[k] = range ? rng.uniform(range[0], range[1]) : 0;
      }
      if (this.taskValid === undefined || this.taskValid(this.sig)) return;
    }
    throw new ConfigError(
      this.robot.specFile,
      "reset.task_valid",
      `no valid task in ${MAX_TASK_DRAWS} draws from reset.task`,
      { hint: "widen the reset.task ranges or loosen reset.task_valid" },
    );
  }

  /** Simulation time in seconds. */
  get time(): number {
    return this.data.time;
  }

  /** Resets to a state drawn from robot.yaml's `reset` ranges. Without a seed, draws from the env's stream. */
  reset(seed?: number): Float32Array {
    this.assertOpen();
    const rng = seed === undefined ? this.rng.fork() : new Rng(seed);
    const { spec } = this.robot;
    this.mj.mj_resetData(this.model, this.data);
    this.refreshViewsIfDetached();
    const { qposAdr, dofAdr } = this.binding;
    spec.joints.forEach((j, i) => {
      const p = spec.reset.position[j.name];
      if (p) this.qpos[qposAdr[i]] = rng.uniform(p[0], p[1]);
      const v = spec.reset.velocity[j.name];
      if (v) this.qvel[dofAdr[i]] = rng.uniform(v[0], v[1]);
    });
    this.sig.fill(0);
    this.drawTask(rng);
    this.command.fill(0);
    this.ctrl.fill(0);
    this.mj.mj_forward(this.model, this.data);
    this.elapsedSteps = 0;
    this.readState();
    const obs = new Float32Array(this.obsDim);
    this.task.observe(this.sig, obs);
    return obs;
  }

  /** One control tick with a normalized action in [-1, 1] (clipped), scaled to the actuator ranges. */
  step(action: ArrayLike<number>): StepResult {
    this.checkInput("action", action);
    const { ctrlLow, ctrlHigh } = this.binding;
    for (let i = 0; i < this.actDim; i++) {
      const x = Math.min(1, Math.max(-1, action[i]));
      this.scratch[i] = ctrlLow[i] + ((x + 1) / 2) * (ctrlHigh[i] - ctrlLow[i]);
    }
    return this.advance(this.scratch);
  }

  /** One control tick with a command in actuator units (as on the controller topic), clipped to the ranges. */
  stepActuators(command: ArrayLike<number>): StepResult {
    this.checkInput("command", command);
    const { ctrlLow, ctrlHigh } = this.binding;
    for (let i = 0; i < this.actDim; i++)
      this.scratch[i] = Math.min(ctrlHigh[i], Math.max(ctrlLow[i], command[i]));
    return this.advance(this.scratch);
  }

  /**
   * The live physics, for code that predicts from the exact current state (the braking filter's one-step
   * model prediction). Callers read it, or copy it into their own MjData; they do not step it.
   */
  physics(): { mj: MujocoModule; model: MjModel; data: MjData; binding: ModelBinding; frameSkip: number } {
    this.assertOpen();
    return {
      mj: this.mj,
      model: this.model,
      data: this.data,
      binding: this.binding,
      frameSkip: this.frameSkip,
    };
  }

  /** The current signal vector (a copy). */
  signals(): Float64Array {
    return this.sig.slice();
  }

  /**
   * Overrides one task input (e.g. "goal.x") until the next reset, as when a new goal arrives on its topic.
   * Takes effect in the next observation and reward.
   */
  setTaskValue(field: string, value: number): void {
    this.assertOpen();
    const index = this.task.layout.index.get(`task.${field}`);
    if (index === undefined)
      throw new ConfigError(this.robot.specFile, "ros.task_topics", `no task field "${field}"`, {
        expected:
          this.task.layout.names
            .filter((n) => n.startsWith("task."))
            .map((n) => n.slice(5))
            .join("|") || "(none)",
      });
    if (!Number.isFinite(value)) throw new NonFiniteError(`task.${field}`, 0, value);
    this.sig[index] = value;
  }

  /** Writes the current observation into `out` (or a new array). */
  observe(out = new Float32Array(this.obsDim)): Float32Array {
    this.task.observe(this.sig, out);
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.data.delete();
    this.model.delete();
  }

  private advance(command: Float64Array): StepResult {
    this.assertOpen();
    this.refreshViewsIfDetached();
    const { ctrlIdx } = this.binding;
    const ctrl = this.ctrl;
    for (let i = 0; i < this.actDim; i++) {
      this.command[i] = command[i];
      ctrl[ctrlIdx[i]] = command[i];
    }
    const mj = this.mj;
    const model = this.model;
    const data = this.data;
    for (let k = 0; k < this.frameSkip; k++) mj.mj_step(model, data);
    this.elapsedSteps++;
    this.readState();
    const sig = this.sig;
    const observation = new Float32Array(this.obsDim);
    this.task.observe(sig, observation);
    const termination = this.task.terminated(sig);
    const terminated = termination !== undefined;
    return {
      observation,
      reward: this.task.reward(sig),
      terminated,
      truncated: !terminated && this.elapsedSteps >= this.maxEpisodeSteps,
      info: { termination, time: data.time, signals: sig.slice() },
    };
  }

  /** Fills position/velocity/effort/action blocks of the signal vector from the live MuJoCo state. */
  private readState(): void {
    const { qposAdr, dofAdr } = this.binding;
    const { layout } = this.task;
    const sig = this.sig;
    const n = this.nJoints;
    for (let i = 0; i < n; i++) {
      sig[layout.position + i] = this.qpos[qposAdr[i]];
      sig[layout.velocity + i] = this.qvel[dofAdr[i]];
      sig[layout.effort + i] = this.qfrcActuator[dofAdr[i]];
    }
    for (let i = 0; i < this.actDim; i++) sig[layout.action + i] = this.command[i];
  }

  private checkInput(what: string, values: ArrayLike<number>): void {
    this.assertOpen();
    if (values.length !== this.actDim)
      throw new ShapeMismatchError(`${this.robot.spec.name} ${what} length`, this.actDim, values.length, {
        hint: `actuators: ${this.task.actNames.join(", ")}`,
      });
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]))
        throw new NonFiniteError(`${this.robot.spec.name} ${what}`, i, values[i], {
          hint: "the simulation state is unchanged",
        });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new ConfigError(this.robot.specFile, "(env)", "this MujocoEnv is closed");
  }

  /** WASM memory growth detaches typed-array views; re-read them when that happened. */
  private refreshViewsIfDetached(): void {
    if (this.qpos.length === 0 || this.ctrl.length === 0) this.refreshViews();
  }

  private refreshViews(): void {
    this.qpos = this.data.qpos as Float64Array;
    this.qvel = this.data.qvel as Float64Array;
    this.ctrl = this.data.ctrl as Float64Array;
    this.qfrcActuator = this.data.qfrc_actuator as Float64Array;
  }
}
