/** The `random` level: uniform actions in [-1, 1] each tick, independent of the state (D4RL "random"). */
import { Rng } from "../../core/rng.js";
import type { RobotSpec } from "../spec.js";
import type { BehaviorController } from "./index.js";

export function makeRandomBehavior(_spec: RobotSpec, seed: number): BehaviorController {
  let rng = new Rng(seed);
  return {
    reset(s) {
      rng = new Rng(s);
    },
    act(_signals, out) {
      for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-1, 1);
    },
  };
}
