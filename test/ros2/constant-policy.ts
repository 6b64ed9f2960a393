/** A policy package for the ROS 2 tests of the policy node. */
import { writeLinearPendulumPolicy } from "../fixtures/linear-pendulum-policy.js";

/** A pendulum policy that always asks for 1.9 N·m: far outside the behavior's support, so the shield acts. */
export function writeConstantPolicy(dir: string): void {
  writeLinearPendulumPolicy(dir, { bias: 0.95 });
}
