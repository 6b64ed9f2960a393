/**
 * Transitions as contiguous columns: what the dataset reader produces and what every trainer consumes.
 * Row i of `observations` is observations.subarray(i * obsDim, (i + 1) * obsDim).
 * Actions are normalized to [-1, 1] per actuator (the policy's space); datasets convert from actuator units.
 */
export interface TransitionColumns {
  size: number;
  obsDim: number;
  actDim: number;
  observations: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  nextObservations: Float32Array;
  /** 1 where the next state is a failure state (no bootstrap). */
  terminals: Uint8Array;
  /** 1 where the episode was truncated by its time limit after this step (bootstrap continues). */
  timeouts: Uint8Array;
  /** Episode index of each transition (for splits and per-episode returns). */
  episodes: Uint32Array;
}
