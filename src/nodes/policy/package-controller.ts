/**
 * A policy package as the node's Controller. An MLP actor acts on the observation alone; a decision
 * transformer also needs what happened since its last step, which the node knows from the signals: the
 * command last sent (the signals' action block, after the shield; the context records it) and the robot's
 * reward expression evaluated on them (the reward of that command, as MujocoEnv computes it), which lowers
 * the return-to-go. `reset` (a new episode on the episode topic) clears the context.
 *
 * Every tick is a step of the context, whoever acted: on ticks the policy was not asked (a canary's mix
 * handed the tick to the fallback, the e-stop is engaged, a worker was still busy) `observe` takes the step
 * without running the transformer, and the next tick records the command the robot applied and its reward
 * as after a policy tick. `finish` records the last step's outcome when an episode ends, so that the
 * return-to-go is then the target less the episode's return.
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
  /** The context's last step still waits for its outcome (applied command, reward). */
  let pending = false;
  const settle = (signals: Float64Array): void => {
    if (!pending) return;
    pending = false;
    for (let i = 0; i < applied.length; i++) {
      const [lo, hi] = ranges[i];
      applied[i] = (2 * (signals[at + i] - lo)) / (hi - lo) - 1;
    }
    runner.recordAction(applied);
    runner.reward(task.reward(signals));
  };
  return {
    act(obs, signals, out) {
      settle(signals);
      try {
        runner.act(obs, out);
      } catch (err) {
        // The tick still happens (the fallback acts): the step stays in the context; the error goes on.
        runner.observe(obs);
        throw err;
      } finally {
        pending = true;
      }
    },
    observe(obs, signals) {
      settle(signals);
      runner.observe(obs);
      pending = true;
    },
    finish(signals) {
      settle(signals);
    },
    reset() {
      pending = false;
      runner.reset();
    },
  };
}
