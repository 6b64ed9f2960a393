/**
 * The plain weight format shared between the trainer (src/rl, ONNX Runtime engine) and plain-TypeScript inference
 * (src/policy, no tensor library). Types only: nothing here imports one.
 *
 * A network is a list of dense layers applied in order: `y = activation(x · W + b)`.
 * `weight` is row-major with shape [inDim, outDim]: element (i, o) is `weight[i * outDim + o]`, so the
 * output o of one row x is `bias[o] + sum_i x[i] * weight[i * outDim + o]`.
 */
export type Activation = "relu" | "tanh" | "linear";

export interface DenseLayerWeights {
  /** Row-major [inDim, outDim]. */
  weight: Float32Array;
  /** [outDim]. */
  bias: Float32Array;
  inDim: number;
  outDim: number;
  activation: Activation;
}

export interface NetworkWeights {
  layers: DenseLayerWeights[];
}

/**
 * The actor as the policy package stores it. The network maps a normalized observation
 * `(obs - obsMean) / obsStd` to a pre-squash output; the action in [-1, 1] is:
 * - `deterministic` (TD3+BC, BC, and IQL and AWAC by default): the last layer already has activation "tanh",
 *   the output is the action.
 * - `tanh-gaussian` (CQL; IQL and AWAC with `actor: "gaussian"`): the last layer is "linear" with 2 * actDim
 *   outputs `[mean (actDim), raw log-std (actDim)]`; the deterministic action is `tanh(mean)`, the log-std half is
 *   ignored at inference.
 */
export interface ActorWeights {
  kind: "deterministic" | "tanh-gaussian";
  obsDim: number;
  actDim: number;
  network: NetworkWeights;
  /** Observation normalization from dataset statistics, length obsDim (std already floored, never 0). */
  obsMean: Float32Array;
  obsStd: Float32Array;
}
