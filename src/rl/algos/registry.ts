/** Name → algorithm file. The trainer and the benches look algorithms up here. */
import { ConfigError, TetherError } from "../../core/errors.js";
import type { Rng } from "../../core/rng.js";
import * as awac from "./awac.js";
import * as bc from "./bc.js";
import * as calql from "./calql.js";
import * as cql from "./cql.js";
import * as dt from "./dt.js";
import * as iql from "./iql.js";
import { ALGO_NAMES, type AlgoName, type Learner, type LearnerDims } from "./learner.js";
import * as rebrac from "./rebrac.js";
import * as td3bc from "./td3bc.js";
import type { SamplerExtras } from "../replay.js";

export const ALGO_DEFAULTS: Record<AlgoName, object> = {
  iql: iql.IQL_DEFAULTS,
  awac: awac.AWAC_DEFAULTS,
  td3bc: td3bc.TD3BC_DEFAULTS,
  bc: bc.BC_DEFAULTS,
  cql: cql.CQL_DEFAULTS,
  calql: calql.CALQL_DEFAULTS,
  rebrac: rebrac.REBRAC_DEFAULTS,
  dt: dt.DT_DEFAULTS,
};

export function isAlgoName(value: string): value is AlgoName {
  return (ALGO_NAMES as readonly string[]).includes(value);
}

export function assertAlgoName(value: string, where = "--algo"): AlgoName {
  if (!isAlgoName(value))
    throw new TetherError("CLI", `${where} must be one of ${ALGO_NAMES.join(", ")}, got "${value}"`);
  return value;
}

/** Builds a learner with the algorithm's paper defaults overridden by `config`. */
export function createLearner(
  algo: AlgoName,
  config: Record<string, unknown>,
  dims: LearnerDims,
  rng: Rng,
): Learner {
  switch (algo) {
    case "iql":
      return iql.create(config, dims, rng);
    case "awac":
      return awac.create(config, dims, rng);
    case "td3bc":
      return td3bc.create(config, dims, rng);
    case "bc":
      return bc.create(config, dims, rng);
    case "cql":
      return cql.create(config, dims, rng);
    case "calql":
      return calql.create(config, dims, rng);
    case "rebrac":
      return rebrac.create(config, dims, rng);
    case "dt":
      return dt.create(config, dims, rng);
  }
}

/**
 * The robot's own overrides for `algo` (robot.yaml `training.<algo>`). Checks every algorithm and field
 * listed there, not only `algo`'s, so a typo fails on the first training run rather than being ignored.
 */
export function robotTrainingOverrides(
  training: Record<string, Record<string, unknown>>,
  specFile: string,
  algo: AlgoName,
): Record<string, unknown> {
  for (const [name, fields] of Object.entries(training)) {
    if (!isAlgoName(name))
      throw new ConfigError(specFile, `training.${name}`, "unknown algorithm", {
        expected: ALGO_NAMES.join(", "),
      });
    for (const key of Object.keys(fields))
      if (!(key in ALGO_DEFAULTS[name]))
        throw new ConfigError(specFile, `training.${name}.${key}`, `${name} has no such config field`, {
          expected: Object.keys(ALGO_DEFAULTS[name]).join(", "),
        });
  }
  return training[algo] ?? {};
}

/** The full config a learner runs with (defaults + overrides), for dumping next to checkpoints. */
export function resolvedConfig(algo: AlgoName, config: Record<string, unknown>): Record<string, unknown> {
  return { ...(ALGO_DEFAULTS[algo] as Record<string, unknown>), ...config };
}

/** Whether the algorithm's config asks for rewards scaled by 1000 / (max return - min return) (IQL, AWAC). */
export function wantsReturnNormalizedRewards(algo: AlgoName, config: Record<string, unknown>): boolean {
  return resolvedConfig(algo, config).normalizeRewards === true;
}

/** What `tether finetune --algo` accepts: the offline-to-online algorithms (issue #22). */
export const FINETUNE_ALGOS = ["iql", "awac", "calql", "rebrac"] as const satisfies readonly AlgoName[];

/**
 * Whether `tether finetune` can continue a package trained with the algorithm. The mixed buffer carries the
 * extra columns (mixed-buffer.ts), so every learner with a critic can; the Decision Transformer has none to
 * learn online from. Packages of bc, td3bc and cql still fine-tune without --algo, which only names the four above.
 */
export function canFinetune(algo: AlgoName): boolean {
  return algo !== "dt";
}

/** The mini-batch size when none is asked for: the paper's where it departs from the common 256. */
export function defaultBatchSize(algo: AlgoName): number {
  return algo === "rebrac" ? rebrac.REBRAC_BATCH_SIZE : 256;
}

/** The dataset columns beyond the transition the algorithm's batches carry (computed once per dataset). */
export function samplerExtras(algo: AlgoName, config: Record<string, unknown>): SamplerExtras {
  if (algo === "rebrac") return { nextActions: true };
  if (algo === "calql") return { mcDiscount: resolvedConfig(algo, config).discount as number };
  return {};
}
