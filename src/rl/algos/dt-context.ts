/**
 * Batch-1 Decision Transformer control: the last K steps in a ring buffer, copied oldest-first into a
 * preallocated window whose unfilled front is masked out, so a tick allocates no context arrays. The
 * return-to-go starts at the target return and falls by each reward received (Chen et al. 2021, §3).
 */
import type { DtLearner, DtWindow } from "./dt.js";

export class DtContext {
  private readonly k: number;
  private readonly obsDim: number;
  private readonly actDim: number;
  private readonly ring: DtWindow;
  private readonly window: DtWindow;
  /** Steps seen this episode (the ring holds the last min(t, K)). */
  private t = 0;
  private returnToGo = 0;

  constructor(
    private readonly learner: DtLearner,
    private readonly targetReturn: number,
  ) {
    this.k = learner.contextLength;
    this.obsDim = learner.dims.obsDim;
    this.actDim = learner.dims.actDim;
    const make = (): DtWindow => ({
      observations: new Float32Array(this.k * this.obsDim),
      actions: new Float32Array(this.k * this.actDim),
      returnsToGo: new Float32Array(this.k),
      timesteps: new Int32Array(this.k),
      mask: new Float32Array(this.k),
    });
    this.ring = make();
    this.window = make();
    this.reset();
  }

  /** A new episode: empty context, return-to-go back at the target. */
  reset(): void {
    this.t = 0;
    this.returnToGo = this.targetReturn;
  }

  /** The next action for `observation`; its reward must follow through `reward()` before the next tick. */
  act(observation: Float32Array): Float32Array {
    const { k, obsDim, actDim, ring, window } = this;
    const slot = this.t % k;
    ring.observations.set(observation, slot * obsDim);
    ring.actions.fill(0, slot * actDim, (slot + 1) * actDim);
    ring.returnsToGo[slot] = this.returnToGo;
    ring.timesteps[slot] = this.t;
    const filled = Math.min(this.t + 1, k);
    const front = k - filled;
    window.mask.fill(0, 0, front).fill(1, front);
    for (let i = 0; i < filled; i++) {
      const from = (this.t - filled + 1 + i) % k;
      const to = front + i;
      window.observations.set(ring.observations.subarray(from * obsDim, (from + 1) * obsDim), to * obsDim);
      window.actions.set(ring.actions.subarray(from * actDim, (from + 1) * actDim), to * actDim);
      window.returnsToGo[to] = ring.returnsToGo[from];
      window.timesteps[to] = ring.timesteps[from];
    }
    const action = this.learner.predict(window, 1).subarray((k - 1) * actDim, k * actDim);
    ring.actions.set(action, slot * actDim);
    return action;
  }

  /** The reward of the last action: lowers the return still to collect, advances the timestep. */
  reward(r: number): void {
    this.returnToGo -= r;
    this.t += 1;
  }
}
