/**
 * The actors' shapes and constants, shared by both engines and the policy export (no tensor library).
 * Gaussian actor: a linear last layer with 2·actDim outputs [mean (pre-tanh), raw log-std].
 */
import { TetherError } from "../../core/errors.js";
import type { MlpSpec } from "./mlp-spec.js";

export const LOG_STD_MIN = -5;
export const LOG_STD_MAX = 2;

export function deterministicActorSpec(obsDim: number, actDim: number, hidden: number[]): MlpSpec {
  return { sizes: [obsDim, ...hidden, actDim], hidden: "relu", output: "tanh" };
}

export function gaussianActorSpec(obsDim: number, actDim: number, hidden: number[]): MlpSpec {
  return { sizes: [obsDim, ...hidden, 2 * actDim], hidden: "relu", output: "linear" };
}

/** Flat indices of a Gaussian actor's last-layer weights into its log-std outputs. */
export function logStdWeightIndices(spec: MlpSpec, actDim: number): number[] {
  const sizes = spec.sizes;
  const inDim = sizes[sizes.length - 2];
  const outDim = sizes[sizes.length - 1];
  let o = 0;
  for (let l = 0; l + 2 < sizes.length; l++) o += sizes[l] * sizes[l + 1] + sizes[l + 1];
  const out: number[] = [];
  for (let i = 0; i < inDim; i++) for (let j = actDim; j < outDim; j++) out.push(o + i * outDim + j);
  return out;
}

/**
 * A free-log-std actor's parameters must have zero log-std weights (e.g. not a "state" checkpoint): learners
 * call this before loading, so a refused state dict changes nothing. A misshaped array is left to the
 * loader's shape error.
 */
export function assertFreeLogStd(spec: MlpSpec, actDim: number, size: number, values?: Float32Array): void {
  if (values?.length !== size) return;
  for (const i of logStdWeightIndices(spec, actDim))
    if (values[i] !== 0)
      throw new TetherError(
        "STATE_DICT",
        'actor has state-dependent log-std weights but is configured with logStd: "free"',
        { index: i },
      );
}

/** Where a Gaussian actor's log-std comes from: a function of the state, or one free vector. */
export type LogStdMode = "state" | "free";

export const ACTOR_FORMS = ["gaussian", "deterministic"] as const;
export type ActorForm = (typeof ACTOR_FORMS)[number];

/** Advantage weights are clipped here (CORL's EXP_ADV_MAX) so one large advantage cannot dominate a batch. */
export const EXP_ADV_MAX = 100;
