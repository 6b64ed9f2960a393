/**
 * `models/<name>/policy.json`: the manifest of a policy package. Weights live next to it in `weights.bin`
 * (float32, little-endian), addressed by byte offsets from here.
 */
import { z } from "zod";
import { ACTIVATIONS } from "./network.js";

export const POLICY_FORMAT = "tether-policy";
export const POLICY_FORMAT_VERSION = 1;
export const MANIFEST_FILE = "policy.json";
export const WEIGHTS_FILE = "weights.bin";
export const ONNX_FILE = "policy.onnx";

/** How the policy network's output becomes a [-1, 1] action. */
export const POLICY_KINDS = [
  /** Output has actDim entries and is the action (usually a tanh last layer); clipped to [-1, 1]. */
  "deterministic",
  /** Output is [mean, log_std] (2 × actDim); the deterministic action is tanh(mean). */
  "tanh-gaussian",
  /** Output is [mean, log_std] (2 × actDim); the deterministic action is clip(mean, -1, 1). */
  "gaussian",
  /**
   * A Decision Transformer over the last K steps (src/policy/dt-runner.ts): `layers` are its parameter
   * pairs (dt-layout.ts), `transformer` its shape and conditioning; the action is a tanh in [-1, 1].
   */
  "decision-transformer",
] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

const finite = z.number().refine(Number.isFinite, "must be a finite number");

export const LayerRefSchema = z.strictObject({
  in_dim: z.number().int().positive(),
  out_dim: z.number().int().positive(),
  activation: z.enum(ACTIVATIONS),
  /** Byte offsets into weights.bin (multiples of 4). */
  weight_offset: z.number().int().nonnegative(),
  bias_offset: z.number().int().nonnegative(),
});
export type LayerRef = z.infer<typeof LayerRefSchema>;

/** policy.transformer: what a "decision-transformer" package needs besides its parameters. */
export const TransformerSchema = z.strictObject({
  embed_dim: z.number().int().positive(),
  layers: z.number().int().positive(),
  heads: z.number().int().positive(),
  /** K: steps of context the model reads (policy.onnx's window length). */
  context_length: z.number().int().positive(),
  /** Rows of the timestep embedding table; later timesteps use the last row. */
  max_episode_length: z.number().int().positive(),
  /** Returns-to-go are multiplied by this inside the model. */
  return_scale: finite.refine((v) => v > 0, "must be > 0"),
  /** The return an episode is conditioned on (default at training: the dataset's best episode return). */
  target_return: finite,
});

export const ManifestSchema = z.strictObject({
  format: z.literal(POLICY_FORMAT),
  format_version: z.literal(POLICY_FORMAT_VERSION),
  robot: z.string().min(1),
  created: z.string(),
  observation: z.strictObject({
    dim: z.number().int().positive(),
    names: z.array(z.string()),
    /** Normalization applied before the network: (obs - mean) / std. */
    mean: z.array(finite),
    std: z.array(finite.refine((v) => v > 0, "must be > 0")),
  }),
  action: z.strictObject({
    dim: z.number().int().positive(),
    names: z.array(z.string()),
    /** Actuator-unit bounds; the policy emits [-1, 1] which maps linearly onto [low, high]. */
    low: z.array(finite),
    high: z.array(finite),
  }),
  policy: z.strictObject({
    kind: z.enum(POLICY_KINDS),
    layers: z.array(LayerRefSchema).min(1),
    transformer: TransformerSchema.optional(),
  }),
  support: z.strictObject({
    /** Per-dimension quantiles of the dataset's normalized actions: values[dim][level]. */
    quantiles: z.strictObject({
      levels: z.array(finite.refine((v) => v >= 0 && v <= 1, "must be in [0, 1]")).min(1),
      values: z.array(z.array(finite)),
    }),
    /** State-conditional behavior model (BC mean and spread): normalized obs -> [mean, log_std]. */
    conditional: z
      .strictObject({
        layers: z.array(LayerRefSchema).min(1),
        log_std_min: finite,
        log_std_max: finite,
        /** Mean is tanh(raw mean) so it stays inside [-1, 1]. */
        squash_mean: z.boolean(),
      })
      .optional(),
  }),
  weights: z.strictObject({
    file: z.string().min(1),
    bytes: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  /** The actor as ONNX (see onnx-actor.ts); packages written before it existed have none. */
  onnx: z
    .strictObject({
      file: z.string().min(1),
      bytes: z.number().int().positive(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      opset: z.number().int().positive(),
    })
    .optional(),
  provenance: z.strictObject({
    algorithm: z.string().min(1),
    dataset: z.string().optional(),
    dataset_hash: z.string(),
    config: z.record(z.string(), z.unknown()),
    metrics: z.record(z.string(), z.unknown()),
    code_version: z.string(),
    seed: z.number().int().optional(),
  }),
  /** Deployment stages passed so far (written by the stage manager). */
  stage_history: z
    .array(
      z.strictObject({
        stage: z.string(),
        at: z.string(),
        result: z.string(),
        detail: z.string().optional(),
      }),
    )
    .default([]),
});
export type PolicyManifest = z.infer<typeof ManifestSchema>;
