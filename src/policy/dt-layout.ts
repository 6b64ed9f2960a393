/**
 * The Decision Transformer as a policy package stores it: its hyperparameters, and its parameters as
 * (matrix, vector) pairs in the order the trainer's model (src/rl/algos/dt-model.ts) lays them out, so the
 * package's `policy.layers` are those pairs and both the plain-TS runner and the ONNX export read them back.
 */

/** What the package's manifest records of the model (policy.transformer). */
export interface DtPolicySpec {
  embedDim: number;
  /** Transformer blocks. */
  layers: number;
  heads: number;
  /** K: steps of context. */
  contextLength: number;
  /** Rows of the timestep embedding table (later timesteps use the last row). */
  maxEpisodeLength: number;
  /** Returns-to-go are multiplied by this before the embedding. */
  returnScale: number;
  /** The return the policy is conditioned on at the start of an episode (raw, unscaled). */
  targetReturn: number;
}

/** Indices of the pairs: the embeddings and the first layer norm, then six per block, then norm and head. */
export const DT_PAIR = { state: 0, action: 1, returnToGo: 2, time: 3, embedNorm: 4 } as const;
export const DT_BLOCK = { size: 6, ln1: 0, qkv: 1, proj: 2, ln2: 3, fc1: 4, fc2: 5 } as const;

/** Index of block `l`'s pair `which` (a DT_BLOCK offset). */
export function blockPair(l: number, which: number): number {
  return DT_PAIR.embedNorm + 1 + l * DT_BLOCK.size + which;
}

/** Index of the final layer norm (the head follows it). */
export function finalNormPair(layers: number): number {
  return DT_PAIR.embedNorm + 1 + layers * DT_BLOCK.size;
}

/** [in, out] of every pair: the matrix is [in, out] row-major, the vector [out]. Layer norms are [1, h]. */
export function dtPairShapes(obsDim: number, actDim: number, s: DtPolicySpec): [number, number][] {
  const h = s.embedDim;
  const out: [number, number][] = [
    [obsDim, h],
    [actDim, h],
    [1, h],
    [s.maxEpisodeLength, h],
    [1, h],
  ];
  for (let l = 0; l < s.layers; l++) out.push([1, h], [h, 3 * h], [h, h], [1, h], [h, 4 * h], [4 * h, h]);
  out.push([1, h], [h, actDim]);
  return out;
}
