/**
 * Behavior controllers at D4RL-style quality levels: `random`, `medium`, `expert`, or any `{quality}` in
 * [0, 1] between them (random = 0, medium ~ 0.5, expert = 1; a rising quality gives medium-replay-like data).
 * Controllers read the signal vector (src/robot/signals.ts) and write NORMALIZED actions in [-1, 1], so the
 * same controller runs in MujocoEnv and in a ROS node fed by /joint_states and the task topics.
 * One file per robot; robots without a hand-made controller only offer `random`.
 */
import { NotAvailableError } from "../../core/errors.js";
import type { RobotSpec } from "../spec.js";
import { makePendulumBehavior } from "./pendulum.js";
import { makePusherBehavior } from "./pusher.js";
import { makeRandomBehavior } from "./random.js";
import { makeReacher2Behavior } from "./reacher2.js";

export type BehaviorLevel = "random" | "medium" | "expert";
export const BEHAVIOR_LEVELS: readonly BehaviorLevel[] = ["random", "medium", "expert"];

export interface BehaviorController {
  /** Starts a new episode; seeds the controller's own noise. */
  reset(seed: number): void;
  /** Reads the signal vector of the current state, writes normalized actions (length actDim) to `out`. */
  act(signals: Float64Array, out: Float64Array): void;
}

export type BehaviorFactory = (spec: RobotSpec, quality: number, seed: number) => BehaviorController;

const FACTORIES: Record<string, BehaviorFactory> = {
  pendulum: makePendulumBehavior,
  reacher2: makeReacher2Behavior,
  pusher: makePusherBehavior,
};

/** Quality of each named level. */
export function levelQuality(level: BehaviorLevel | { quality: number }): number {
  if (typeof level === "object") return Math.min(1, Math.max(0, level.quality));
  return level === "random" ? 0 : level === "medium" ? 0.5 : 1;
}

export function hasExpertBehavior(robotName: string): boolean {
  return robotName in FACTORIES;
}

export function makeBehavior(
  spec: RobotSpec,
  level: BehaviorLevel | { quality: number },
  seed: number,
): BehaviorController {
  const quality = levelQuality(level);
  const factory = FACTORIES[spec.name];
  if (quality === 0) return makeRandomBehavior(spec, seed);
  if (!factory)
    throw new NotAvailableError(
      `behavior controller for robot "${spec.name}"`,
      "only the random level exists for this robot",
      {
        hint: `hand-made controllers exist for: ${Object.keys(FACTORIES).join(", ")}`,
      },
    );
  return factory(spec, quality, seed);
}
