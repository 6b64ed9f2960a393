/**
 * One environment interface with two homes: MujocoEnv (in-process simulation, src/sim) and a topic-backed
 * env (publish a command, wait for the next /joint_states) for shadow, canary and hardware stages.
 * Actions are normalized to [-1, 1] per actuator.
 */
export interface StepResult {
  observation: Float32Array;
  reward: number;
  /** A failure state named by the robot's termination spec (bootstrap stops here). */
  terminated: boolean;
  /** The time limit was reached (bootstrap continues through here). */
  truncated: boolean;
  info: StepInfo;
}

export interface StepInfo {
  /** Name of the termination condition that fired, if any. */
  termination?: string;
  /** Simulation or ROS time in seconds at the new state. */
  time: number;
  /** The full signal vector of the new state (see src/robot/signals.ts), for recorders and monitors. */
  signals: Float64Array;
}

export interface Env {
  readonly obsDim: number;
  readonly actDim: number;
  reset(seed?: number): Promise<Float32Array> | Float32Array;
  step(action: ArrayLike<number>): Promise<StepResult> | StepResult;
  close(): void;
}
