/**
 * Seeded random numbers (xoshiro128**, seeded through splitmix32). Deterministic across platforms:
 * same seed, same stream. Never use Math.random in code that must be reproducible.
 */
/** A generator's exact position (JSON-safe), for checkpoints that must resume the same stream. */
export interface RngState {
  words: [number, number, number, number];
  spareNormal?: number;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller, caching the spare). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  state(): RngState {
    // The words are kept as int32 or uint32 interchangeably (every operation coerces to int32).
    const state: RngState = { words: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0] };
    if (this.spareNormal !== undefined) state.spareNormal = this.spareNormal;
    return state;
  }

  /** The generator at `state` (from `state()`); throws a TypeError naming what is wrong. */
  static fromState(state: RngState): Rng {
    const words = (state as Partial<RngState> | null)?.words;
    if (
      !Array.isArray(words) ||
      words.length !== 4 ||
      !words.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)
    )
      throw new TypeError("rng state: words must be 4 unsigned 32-bit integers");
    if (words.every((w) => w === 0))
      throw new TypeError("rng state: all-zero words are not a xoshiro128** state");
    if (state.spareNormal !== undefined && !Number.isFinite(state.spareNormal))
      throw new TypeError("rng state: spareNormal must be a finite number");
    const rng = new Rng(0);
    [rng.s0, rng.s1, rng.s2, rng.s3] = words;
    rng.spareNormal = state.spareNormal;
    return rng;
  }

  /** A new independent stream derived from this one (for workers, envs, networks). */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
