/**
 * The `finetune` node (exec "finetune"): online fine-tuning of an offline IQL/AWAC policy in MujocoEnv behind
 * the real Shield (support box, state-conditional support clamp, rate limit, hard limits) with the NaN guard
 * and the out-of-distribution state count. Each evaluation goes to /diagnostics
 * (diagnostic_msgs/msg/DiagnosticArray, name "tether/finetune") with the score, its CI and the shield counts;
 * each improvement is written as models/<name>/versions/vN. The run starts when the node starts and stops
 * early on shutdown; after it ends the node stays up and repeats the final status every second.
 * Parameters:
 *   model, robot, dataset        policy package (with checkpoint), robot, offline dataset (required)
 *   env_steps (10000) ratio (0.5) updates_per_step (0.25) eval_every (2000) eval_episodes (10)
 *   batch_size (256) exploration_std (0.1) seed (0) out ("" = models/<m>/finetune/<run>)
 *   max_delta support_k state_k box_margin     shield parameters (as the policy node)
 */
import { ConfigError } from "../../core/errors.js";
import { DIAGNOSTIC_LEVEL, type DiagnosticStatus } from "../../msgs/types.js";
import type { NodeFactory } from "../../ros/node.js";
import { DEFAULT_SHIELD_PARAMS } from "../policy/build-shield.js";
import type { FinetuneJobResult } from "./finetune-job.js";

export const FINETUNE_DIAGNOSTIC = "tether/finetune";

export const finetuneNode: NodeFactory = async (node) => {
  const str = (name: string, def = ""): string => String(node.declareParameter(name, def));
  const num = (name: string, def: number): number => Number(node.declareParameter(name, def));
  /** A real-valued parameter: a ROS 2 double even when its default or launch value is whole. */
  const real = (name: string, def: number): number =>
    Number(node.declareParameter(name, def, { double: true }));
  const model = str("model");
  const robot = str("robot");
  const dataset = str("dataset");
  for (const [name, value] of [
    ["model", model],
    ["robot", robot],
    ["dataset", dataset],
  ] as const) {
    if (!value) throw new ConfigError(`(parameter ${name})`, name, "parameter is required");
  }
  const options = {
    model,
    robot,
    dataset,
    envSteps: num("env_steps", 10_000),
    ratio: real("ratio", 0.5),
    updatesPerStep: real("updates_per_step", 0.25),
    evalEvery: num("eval_every", 2000),
    evalEpisodes: num("eval_episodes", 10),
    batchSize: num("batch_size", 256),
    explorationStd: real("exploration_std", 0.1),
    seed: num("seed", 0),
    out: str("out") || undefined,
    shield: {
      maxDelta: real("max_delta", DEFAULT_SHIELD_PARAMS.maxDelta),
      supportK: real("support_k", DEFAULT_SHIELD_PARAMS.supportK),
      stateK: real("state_k", DEFAULT_SHIELD_PARAMS.stateK),
      boxMargin: real("box_margin", DEFAULT_SHIELD_PARAMS.boxMargin),
    },
  };
  const log = node.getLogger();
  const diag = node.createPublisher("diagnostic_msgs/msg/DiagnosticArray", "/diagnostics");
  const publish = (status: DiagnosticStatus): void =>
    diag.publish({ header: { stamp: node.now(), frame_id: "" }, status: [status] });
  let stopping = false;
  let heartbeat: { cancel(): void } | undefined;
  const { runFinetuneJob } = await import("./finetune-job.js");
  const job: Promise<FinetuneJobResult | undefined> = runFinetuneJob({
    ...options,
    shouldStop: () => stopping,
    onEval: (p, saved) => {
      log.info(
        `finetune: step ${p.env_step} score ${p.score.toFixed(1)} [${p.ci_low.toFixed(1)}, ${p.ci_high.toFixed(1)}]${saved ? ` -> ${saved}` : ""}`,
      );
      publish({
        level: DIAGNOSTIC_LEVEL.OK,
        name: FINETUNE_DIAGNOSTIC,
        message: `env step ${p.env_step}: score ${p.score.toFixed(2)}`,
        hardware_id: robot,
        values: [
          { key: "env_step", value: String(p.env_step) },
          { key: "score", value: String(p.score) },
          { key: "ci_low", value: String(p.ci_low) },
          { key: "ci_high", value: String(p.ci_high) },
          { key: "saved_version", value: saved ?? "" },
        ],
      });
    },
  }).then(
    (result) => {
      const bad = result.violations > 0 || result.estop !== null;
      log.info(
        `finetune: done, ${result.env_steps} env steps, gain ${result.gain.toFixed(2)}, versions ${result.versions.map((v) => v.version).join(",") || "none"}, violations ${result.violations}; ${result.out_dir}`,
      );
      const final: DiagnosticStatus = {
        level: bad ? DIAGNOSTIC_LEVEL.ERROR : DIAGNOSTIC_LEVEL.OK,
        name: FINETUNE_DIAGNOSTIC,
        message: result.estop
          ? `e-stop at env step ${result.estop.env_step}: ${result.estop.monitor}: ${result.estop.message}`
          : `done: gain ${result.gain.toFixed(2)}, ${result.violations} violations`,
        hardware_id: robot,
        values: [
          { key: "result", value: `${result.out_dir}/result.json` },
          { key: "violations", value: String(result.violations) },
          { key: "estop", value: result.estop ? result.estop.monitor : "" },
          ...Object.entries(result.shield_counts).map(([k, v]) => ({ key: `shield.${k}`, value: String(v) })),
        ],
      };
      publish(final);
      // Like a ROS 2 node, stay up after the work is done: repeat the final status until shutdown.
      if (!stopping) heartbeat = node.createTimer(1000, () => publish(final));
      return result;
    },
    (err: unknown) => {
      log.error(`finetune: failed: ${(err as Error).message}`);
      publish({
        level: DIAGNOSTIC_LEVEL.ERROR,
        name: FINETUNE_DIAGNOSTIC,
        message: `failed: ${(err as Error).message}`,
        hardware_id: robot,
        values: [],
      });
      return undefined;
    },
  );
  return {
    /** The finished (or stopped) run's result, for tests and embedders. */
    result: job,
    close: async () => {
      stopping = true;
      await job;
      heartbeat?.cancel();
    },
  };
};
