/**
 * How an expert becomes a worse behavior at quality q in [0, 1): some ticks are replaced by uniform random
 * actions, the rest get Gaussian noise, and the command reaches the actuator one tick late with probability
 * `lagProb` (a sluggish operator). q = 1 leaves the expert untouched. Each robot chooses its own curve
 * (and degrades its gains) so that q = 0.5 lands around a normalized score of 30-60.
 */
import { Rng } from "../../core/rng.js";

export interface DegradeParams {
  /** Probability that a tick's action is uniform random. */
  randomProb: number;
  /** Std of Gaussian noise added to the expert action (normalized units). */
  noiseStd: number;
  /** Probability that the previous tick's action is repeated instead. */
  lagProb: number;
}

export class Degrader {
  private rng: Rng;
  private readonly previous: Float64Array;

  constructor(
    readonly params: DegradeParams,
    actDim: number,
    seed: number,
  ) {
    this.rng = new Rng(seed);
    this.previous = new Float64Array(actDim);
  }

  reset(seed: number): void {
    this.rng = new Rng(seed);
    this.previous.fill(0);
  }

  /** The rng of this episode, for controllers that draw their own noise. */
  get random(): Rng {
    return this.rng;
  }

  /** Turns the expert's action in `out` into the degraded one, in place, clipped to [-1, 1]. */
  apply(out: Float64Array): void {
    const { randomProb, noiseStd, lagProb } = this.params;
    const rng = this.rng;
    if (lagProb > 0 && rng.next() < lagProb) {
      out.set(this.previous);
      return;
    }
    if (randomProb > 0 && rng.next() < randomProb) {
      for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-1, 1);
    } else if (noiseStd > 0) {
      for (let i = 0; i < out.length; i++) out[i] += rng.normal(0, noiseStd);
    }
    for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(-1, out[i]));
    this.previous.set(out);
  }
}

/** Linear interpolation from `atZero` (q = 0) to `atOne` (q = 1). */
export function lerp(atZero: number, atOne: number, q: number): number {
  return atZero + (atOne - atZero) * q;
}
