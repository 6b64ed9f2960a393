/**
 * A policy package as the node's Controller. An MLP actor acts on the observation alone; a decision
 * transformer also needs what happened since its last action, which the node knows from the signals: the
 * command last sent (the signals' action block, after the shield; the context records it) and the robot's
 * reward expression evaluated on them (the reward of that command, as MujocoEnv computes it), which lowers
 * the return-to-go. `reset` (a new episode on the episode topic) clears the context.
 *
 * Ticks where the policy was not asked (fallback, e-stop) are not in the context: it holds the steps the
 * policy acted on.
 */
import type { DtRunner } from "../../policy/dt-runner.js";
import type { PackageRunner } from "../../policy/package-runner.js";
import { signalLayout } from "../../robot/signals.js";
import type { RobotSpec } from "../../robot/spec.js";
import { compileTask } from "../../robot/task-functions.js";
import type { Controller } from "../../safety/fallback.js";

export function packageController(runner: PackageRunner, spec: RobotSpec): Controller {
  if ("recordAction" in runner) return dtController(runner, spec);
  return { act: (obs, _signals, out) => runner.act(obs, out) };
}

function dtController(runner: DtRunner, spec: RobotSpec): Controller {
  const task = compileTask(spec);
  const at = signalLayout(spec).action;
  const ranges = spec.actuators.map((a) => a.range);
  const applied = new Float64Array(ranges.length);
  return {
    act(obs, signals, out) {
      if (runner.steps > 0) {
        for (let i = 0; i < applied.length; i++) {
          const [lo, hi] = ranges[i];
          applied[i] = (2 * (signals[at + i] - lo)) / (hi - lo) - 1;
        }
        runner.recordAction(applied);
        runner.reward(task.reward(signals));
      }
      runner.act(obs, out);
    },
    reset() {
      runner.reset();
    },
  };
}
