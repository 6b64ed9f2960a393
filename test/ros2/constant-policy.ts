/** A policy package for the ROS 2 tests of the policy node. */
import { writePolicyPackage } from "../../src/policy/package.js";
import { DEFAULT_QUANTILE_LEVELS } from "../../src/policy/support.js";

/** A pendulum policy that always asks for 1.9 N·m: far outside the behavior's support, so the shield acts. */
export function writeConstantPolicy(dir: string): void {
  writePolicyPackage(dir, {
    robot: "pendulum",
    obsNames: ["cos_angle", "sin_angle", "angular_velocity"],
    actNames: ["pendulum_effort"],
    actionLow: [-2],
    actionHigh: [2],
    actor: {
      kind: "deterministic",
      obsDim: 3,
      actDim: 1,
      network: {
        layers: [
          {
            weight: new Float32Array(3),
            bias: Float32Array.of(0.95),
            inDim: 3,
            outDim: 1,
            activation: "linear",
          },
        ],
      },
      obsMean: [0, 0, 0],
      obsStd: [1, 1, 1],
    },
    support: { quantiles: { levels: [...DEFAULT_QUANTILE_LEVELS], values: [[-0.6, -0.5, 0, 0.5, 0.6]] } },
    provenance: { algorithm: "test", datasetHash: "0".repeat(8), config: {}, metrics: {} },
  });
}
