/**
 * Batch-1 Decision Transformer inference in plain TypeScript for the control loop (what the package's
 * policy.onnx computes for one row, in float64): the last K steps live in a ring buffer, a tick writes one
 * slot and runs the causal transformer over the filled steps in ring order, so nothing is allocated per
 * tick. The return-to-go starts at the target return and falls by each reward reported (Chen et al. 2021).
 *
 * Padded steps are never attended to (the exported graph gives them -1e9 before its softmax), so they are
 * skipped here; the newest step's action token is not needed either (its state token cannot see it).
 */
import { ConfigError, ShapeMismatchError } from "../core/errors.js";
import { blockPair, DT_BLOCK, DT_PAIR, dtPairShapes, finalNormPair, type DtPolicySpec } from "./dt-layout.js";
import type { DenseLayerWeights } from "./network.js";

/** torch's LayerNorm epsilon, as src/tensor/layer-norm.ts. */
const LN_EPS = 1e-5;

/** A parameter pair: the matrix as stored ([in, out]) and transposed ([out, in]), and the vector. */
interface Pair {
  inDim: number;
  outDim: number;
  w: Float64Array;
  wt: Float64Array;
  b: Float64Array;
}

export interface DtRunnerOptions {
  spec: DtPolicySpec;
  /** The (matrix, vector) pairs in dt-layout.ts's order. */
  pairs: DenseLayerWeights[];
  obsMean: ArrayLike<number>;
  obsStd: ArrayLike<number>;
  obsDim: number;
  actDim: number;
}

/** A context window as policy.onnx takes it for one row, newest step last (tests and the ONNX check). */
export interface DtWindowInput {
  /** [K, obsDim] raw. */
  observations: ArrayLike<number>;
  /** [K, actDim] normalized ([-1, 1]). */
  actions: ArrayLike<number>;
  /** [K] raw (unscaled). */
  returnsToGo: ArrayLike<number>;
  /** [K] episode steps. */
  timesteps: ArrayLike<number>;
  /** [K] 1 for real steps; the newest must be real. */
  mask: ArrayLike<number>;
}

/** The ring's arrays (exposed so tests can check that ticks reuse them). */
export interface DtRing {
  observations: Float64Array;
  actions: Float64Array;
  returnsToGo: Float64Array;
  timesteps: Int32Array;
}

export class DtRunner {
  readonly obsDim: number;
  readonly actDim: number;
  readonly contextLength: number;
  readonly spec: DtPolicySpec;
  /** The return the next episode starts from (`reset` may change it). */
  targetReturn: number;
  private readonly pairs: Pair[];
  private readonly mean: Float64Array;
  private readonly invStd: Float64Array;
  private readonly ring: DtRing;
  /** Steps taken this episode (the ring holds the last min(t, K)). */
  private t = 0;
  private returnToGo = 0;
  // Scratch, sized for the whole window.
  private readonly order: Int32Array;
  private readonly y: Float64Array;
  private readonly normed: Float64Array;
  private readonly qkv: Float64Array;
  private readonly scores: Float64Array;
  private readonly vec: Float64Array;
  private readonly vec2: Float64Array;
  private readonly hidden: Float64Array;
  private readonly normObs: Float64Array;
  private readonly window: DtRing;

  constructor(o: DtRunnerOptions) {
    const s = o.spec;
    this.spec = { ...s };
    this.obsDim = o.obsDim;
    this.actDim = o.actDim;
    this.contextLength = s.contextLength;
    this.targetReturn = s.targetReturn;
    if (s.embedDim % s.heads !== 0)
      throw new ShapeMismatchError(`embedDim (a multiple of heads ${s.heads})`, "multiple", s.embedDim);
    const shapes = dtPairShapes(o.obsDim, o.actDim, s);
    if (o.pairs.length !== shapes.length)
      throw new ShapeMismatchError("decision transformer parameter pairs", shapes.length, o.pairs.length);
    shapes.forEach(([i, j], k) => {
      const p = o.pairs[k];
      if (p.inDim !== i || p.outDim !== j || p.weight.length !== i * j || p.bias.length !== j)
        throw new ShapeMismatchError(
          `decision transformer pair ${k}`,
          `[${i}, ${j}]`,
          `[${p.inDim}, ${p.outDim}]`,
        );
    });
    if (o.obsMean.length !== o.obsDim) throw new ShapeMismatchError("obsMean", o.obsDim, o.obsMean.length);
    if (o.obsStd.length !== o.obsDim) throw new ShapeMismatchError("obsStd", o.obsDim, o.obsStd.length);
    // Matrices transposed ([out, in]) in float64: each output is one dot product over a contiguous row.
    this.pairs = o.pairs.map((p) => {
      const wt = new Float64Array(p.inDim * p.outDim);
      for (let i = 0; i < p.inDim; i++)
        for (let j = 0; j < p.outDim; j++) wt[j * p.inDim + i] = p.weight[i * p.outDim + j];
      return {
        inDim: p.inDim,
        outDim: p.outDim,
        wt,
        w: Float64Array.from(p.weight),
        b: Float64Array.from(p.bias),
      };
    });
    this.mean = Float64Array.from(o.obsMean);
    this.invStd = Float64Array.from(o.obsStd, (v) => 1 / v);
    const k = s.contextLength;
    const h = s.embedDim;
    const tokens = 3 * k;
    const ring = (): DtRing => ({
      observations: new Float64Array(k * o.obsDim),
      actions: new Float64Array(k * o.actDim),
      returnsToGo: new Float64Array(k),
      timesteps: new Int32Array(k),
    });
    this.ring = ring();
    this.window = ring();
    this.order = new Int32Array(k);
    this.y = new Float64Array(tokens * h);
    this.normed = new Float64Array(tokens * h);
    this.qkv = new Float64Array(tokens * 3 * h);
    this.scores = new Float64Array(tokens);
    this.vec = new Float64Array(Math.max(h, o.actDim));
    this.vec2 = new Float64Array(h);
    this.hidden = new Float64Array(4 * h);
    this.normObs = new Float64Array(o.obsDim);
    this.reset();
  }

  /** A new episode: empty context, return-to-go back at the target (or at `targetReturn` from now on). */
  reset(targetReturn?: number): void {
    if (targetReturn !== undefined) {
      if (!Number.isFinite(targetReturn))
        throw new ConfigError("(dt runner)", "target return", `must be finite, got ${targetReturn}`);
      this.targetReturn = targetReturn;
    }
    this.t = 0;
    this.returnToGo = this.targetReturn;
  }

  /** Steps taken this episode. */
  get steps(): number {
    return this.t;
  }

  /** The return still to collect, as the next step will be conditioned on. */
  get currentReturnToGo(): number {
    return this.returnToGo;
  }

  /** The ring buffer's arrays (the same objects for the runner's whole life). */
  buffers(): DtRing {
    return this.ring;
  }

  /** Writes the normalized observation into `out` (for the package's support model). */
  normalize(obs: ArrayLike<number>, out: Float64Array | Float32Array): void {
    for (let i = 0; i < this.obsDim; i++) out[i] = (obs[i] - this.mean[i]) * this.invStd[i];
  }

  /**
   * The next action in [-1, 1] for a raw observation: the step joins the context with the current
   * return-to-go and the episode's step count. Its reward follows through `reward`.
   */
  act(obs: ArrayLike<number>, out: Float32Array | Float64Array): void {
    const { ring, actDim } = this;
    const k = this.contextLength;
    const slot = this.join(obs);
    const filled = Math.min(this.t + 1, k);
    for (let i = 0; i < filled; i++) this.order[i] = (this.t - filled + 1 + i) % k;
    this.forward(ring, filled, out);
    for (let i = 0; i < actDim; i++) ring.actions[slot * actDim + i] = out[i];
    this.t += 1;
  }

  /**
   * A step another controller acted on (a fallback, a canary's mix, the e-stop): it joins the context as
   * `act`'s step would, without running the transformer, so the step count and the return-to-go stay the
   * episode's. Its action follows through `recordAction`, its reward through `reward`.
   */
  observe(obs: ArrayLike<number>): void {
    this.join(obs);
    this.t += 1;
  }

  /** Writes step t's slot (observation, a zero action until one is known, return-to-go, step); its index. */
  private join(obs: ArrayLike<number>): number {
    const { ring, obsDim, actDim } = this;
    const slot = this.t % this.contextLength;
    for (let i = 0; i < obsDim; i++) ring.observations[slot * obsDim + i] = obs[i];
    for (let i = 0; i < actDim; i++) ring.actions[slot * actDim + i] = 0;
    ring.returnsToGo[slot] = this.returnToGo;
    ring.timesteps[slot] = this.t;
    return slot;
  }

  /**
   * The action actually applied at the last step (normalized), when something after the policy (the
   * shield, a fallback) changed it or another controller acted (`observe`): the context then holds what the
   * robot did.
   */
  recordAction(action: ArrayLike<number>): void {
    if (this.t === 0) return;
    const slot = (this.t - 1) % this.contextLength;
    for (let i = 0; i < this.actDim; i++) this.ring.actions[slot * this.actDim + i] = action[i];
  }

  /** The reward of the last action: lowers the return still to collect. */
  reward(r: number): void {
    this.returnToGo -= r;
  }

  /** The action in [-1, 1] for one explicit window (policy.onnx's row); does not touch the ring. */
  predictWindow(w: DtWindowInput, out: Float32Array | Float64Array): void {
    const k = this.contextLength;
    const { obsDim, actDim, window } = this;
    if (!(w.mask[k - 1] > 0))
      throw new ConfigError("(dt runner)", "mask", "the newest step of the window must be a real step");
    let n = 0;
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < obsDim; i++) window.observations[j * obsDim + i] = w.observations[j * obsDim + i];
      for (let i = 0; i < actDim; i++) window.actions[j * actDim + i] = w.actions[j * actDim + i];
      window.returnsToGo[j] = w.returnsToGo[j];
      window.timesteps[j] = w.timesteps[j];
      if (w.mask[j] > 0) this.order[n++] = j;
    }
    this.forward(window, n, out);
  }

  /** The transformer over steps order[0..n) of `src`; the newest (order[n - 1])'s state token's action. */
  private forward(src: DtRing, n: number, out: Float32Array | Float64Array): void {
    const { obsDim, actDim, pairs, y, normed, qkv, scores, hidden, normObs } = this;
    const { embedDim: h, heads, layers, maxEpisodeLength, returnScale } = this.spec;
    const hd = h / heads;
    const tokens = 3 * n - 1; // the newest action token is never read
    const scale = 1 / Math.sqrt(hd);
    const table = pairs[DT_PAIR.time].w;
    // Embeddings: tokens (R, S, A) per step, each plus the step's timestep row.
    for (let s = 0; s < n; s++) {
      const slot = this.order[s];
      const ts = Math.min(Math.max(src.timesteps[slot], 0), maxEpisodeLength - 1);
      const time = ts * h;
      const r = src.returnsToGo[slot] * returnScale;
      const pr = pairs[DT_PAIR.returnToGo];
      const base = 3 * s * h;
      for (let j = 0; j < h; j++) y[base + j] = r * pr.w[j] + pr.b[j] + table[time + j];
      for (let i = 0; i < obsDim; i++)
        normObs[i] = (src.observations[slot * obsDim + i] - this.mean[i]) * this.invStd[i];
      linearRows(pairs[DT_PAIR.state], normObs, 0, y, base + h, 0);
      for (let j = 0; j < h; j++) y[base + h + j] += table[time + j];
      if (3 * s + 2 < tokens) {
        linearRows(pairs[DT_PAIR.action], src.actions, slot * actDim, y, base + 2 * h, 0);
        for (let j = 0; j < h; j++) y[base + 2 * h + j] += table[time + j];
      }
    }
    for (let t = 0; t < tokens; t++) layerNormInPlace(y, t * h, h, pairs[DT_PAIR.embedNorm]);
    const last = tokens - 1;
    for (let l = 0; l < layers; l++) {
      const final = l === layers - 1;
      const ln1 = pairs[blockPair(l, DT_BLOCK.ln1)];
      const qkvW = pairs[blockPair(l, DT_BLOCK.qkv)];
      for (let t = 0; t < tokens; t++) {
        layerNormInto(y, t * h, h, ln1, normed, t * h);
        // Keys and values for every token; queries only where they are read.
        linearRows(qkvW, normed, t * h, qkv, t * 3 * h, final && t !== last ? h : 0);
      }
      const first = final ? last : 0;
      const proj = pairs[blockPair(l, DT_BLOCK.proj)];
      const vec = this.vec;
      const att = this.vec2;
      for (let q = first; q < tokens; q++) {
        for (let hh = 0; hh < heads; hh++) {
          const qo = q * 3 * h + hh * hd;
          let max = -Infinity;
          for (let key = 0; key <= q; key++) {
            const ko = key * 3 * h + h + hh * hd;
            let dot = 0;
            for (let d = 0; d < hd; d++) dot += qkv[qo + d] * qkv[ko + d];
            dot *= scale;
            scores[key] = dot;
            if (dot > max) max = dot;
          }
          let sum = 0;
          for (let key = 0; key <= q; key++) {
            const e = Math.exp(scores[key] - max);
            scores[key] = e;
            sum += e;
          }
          for (let d = 0; d < hd; d++) att[hh * hd + d] = 0;
          for (let key = 0; key <= q; key++) {
            const p = scores[key] / sum;
            const vo = key * 3 * h + 2 * h + hh * hd;
            for (let d = 0; d < hd; d++) att[hh * hd + d] += p * qkv[vo + d];
          }
        }
        // The projection goes into `normed`'s row q (free: its LN1 output has been consumed).
        linearInto(proj, att, normed, q * h);
      }
      for (let q = first; q < tokens; q++) for (let j = 0; j < h; j++) y[q * h + j] += normed[q * h + j];
      const ln2 = pairs[blockPair(l, DT_BLOCK.ln2)];
      const fc1 = pairs[blockPair(l, DT_BLOCK.fc1)];
      const fc2 = pairs[blockPair(l, DT_BLOCK.fc2)];
      for (let q = first; q < tokens; q++) {
        layerNormInto(y, q * h, h, ln2, vec, 0);
        linearInto(fc1, vec, hidden, 0);
        for (let j = 0; j < 4 * h; j++) hidden[j] = gelu(hidden[j]);
        linearInto(fc2, hidden, att, 0);
        for (let j = 0; j < h; j++) y[q * h + j] += att[j];
      }
    }
    // The newest state token is the last one computed.
    const fin = finalNormPair(layers);
    layerNormInto(y, last * h, h, pairs[fin], this.vec2, 0);
    linearInto(pairs[fin + 1], this.vec2, this.vec, 0);
    for (let i = 0; i < actDim; i++) out[i] = Math.tanh(this.vec[i]);
  }
}

/** out[o..o+outDim) = x · W + b. */
function linearInto(p: Pair, x: Float64Array, out: Float64Array, o: number): void {
  linearRows(p, x, 0, out, o, 0);
}

/**
 * out[o + j] = x[xo..xo+in) · W[:, j] + b[j] for j ≥ `from` (columns before it are left alone). Four
 * accumulators: the dot products are the runner's hot loop.
 */
function linearRows(p: Pair, x: Float64Array, xo: number, out: Float64Array, o: number, from: number): void {
  const { wt, b, inDim, outDim } = p;
  const n4 = inDim - (inDim % 4);
  for (let j = from; j < outDim; j++) {
    const row = j * inDim;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let i = 0;
    for (; i < n4; i += 4) {
      a0 += x[xo + i] * wt[row + i];
      a1 += x[xo + i + 1] * wt[row + i + 1];
      a2 += x[xo + i + 2] * wt[row + i + 2];
      a3 += x[xo + i + 3] * wt[row + i + 3];
    }
    for (; i < inDim; i++) a0 += x[xo + i] * wt[row + i];
    out[o + j] = b[j] + (a0 + a1 + (a2 + a3));
  }
}

/** Layer norm of x[xo..xo+h) into out[o..o+h) with the pair's gain (matrix [1, h]) and bias. */
function layerNormInto(x: Float64Array, xo: number, h: number, p: Pair, out: Float64Array, o: number): void {
  let mean = 0;
  for (let j = 0; j < h; j++) mean += x[xo + j];
  mean /= h;
  let variance = 0;
  for (let j = 0; j < h; j++) {
    const d = x[xo + j] - mean;
    variance += d * d;
  }
  variance /= h;
  const inv = 1 / Math.sqrt(variance + LN_EPS);
  for (let j = 0; j < h; j++) out[o + j] = (x[xo + j] - mean) * inv * p.w[j] + p.b[j];
}

function layerNormInPlace(x: Float64Array, xo: number, h: number, p: Pair): void {
  layerNormInto(x, xo, h, p, x, xo);
}

/** Exact GELU, x · Φ(x), as the model's (torch.nn.GELU's default). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x * Math.SQRT1_2));
}

/**
 * erf to ~1e-15: its Maclaurin series below |z| = 3 (terms stay below e^9, so little cancellation), and the
 * continued fraction of erfc above it.
 */
export function erf(z: number): number {
  const a = Math.abs(z);
  if (a < 3) {
    const z2 = z * z;
    let term = z;
    let sum = z;
    for (let n = 1; n < 200; n++) {
      term *= -z2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (!Number.isFinite(a)) return Number.isNaN(z) ? z : Math.sign(z);
  // erfc(a) = exp(-a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...))))), evaluated from the tail.
  let f = a;
  for (let n = 60; n >= 1; n--) f = a + n / 2 / f;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return z > 0 ? 1 - erfc : erfc - 1;
}
