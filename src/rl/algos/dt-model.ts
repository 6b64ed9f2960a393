/**
 * The Decision Transformer's network (Chen et al. 2021, as CORL's dt.py builds it) as graph nodes: each
 * step t of a K-step context becomes three tokens (return-to-go, state, action), each a linear embedding
 * plus a learned embedding of the episode timestep; a pre-norm causal transformer runs over the 3K tokens
 * and a tanh head reads the next action off each state token (which has seen the returns, states and
 * actions before it, and its own return and state, never its own action).
 *
 * Every parameter is a (matrix, vector) pair, so the model is one ParamGroup of single-layer "specs":
 * embeddings (vector unused for the timestep table), layer norms (the matrix [1, d] is the gain).
 */
import type { Rng } from "../../core/rng.js";
import type { Graph, Value } from "../../tensor/graph.js";
import { layerNorm } from "../../tensor/layer-norm.js";
import { causalMask, gelu, softmax } from "../../tensor/layers.js";
import { ParamGroup } from "../networks/graph-mlp.js";
import type { MlpSpec } from "../networks/mlp-spec.js";
import type { GroupValues } from "./graph-trainer.js";

export interface DtShape {
  obsDim: number;
  actDim: number;
  embedDim: number;
  layers: number;
  heads: number;
  contextLength: number;
  /** Rows of the timestep embedding table (timesteps at or beyond it use the last row). */
  timesteps: number;
}

/** The model's graph inputs for B rows of K steps. */
export interface DtInputs {
  /** [B, K, obsDim], already normalized. */
  observations: Value;
  /** [B, K, actDim]. */
  actions: Value;
  /** [B, K, 1], already scaled. */
  returnsToGo: Value;
  /** [B, K] int64 rows of the timestep table, already clipped to it (a Gather). */
  timesteps: Value;
  /** [B, K]: 1 for real steps, 0 for padding (never attended to). */
  mask: Value;
}

const [STATE, ACTION, RETURN, TIME, EMB_NORM] = [0, 1, 2, 3, 4];
const PER_LAYER = 6;
const [LN1, QKV, PROJ, LN2, FC1, FC2] = [0, 1, 2, 3, 4, 5];

function linear(inDim: number, outDim: number): MlpSpec {
  return { sizes: [inDim, outDim], hidden: "relu", output: "linear" };
}

export class DtModel {
  readonly group: ParamGroup;
  private readonly norms = new Set<number>();

  constructor(readonly shape: DtShape) {
    const { obsDim, actDim, embedDim: h, layers } = shape;
    if (h % shape.heads !== 0)
      throw new RangeError(`embedDim ${h} is not a multiple of heads ${shape.heads}`);
    const specs = [linear(obsDim, h), linear(actDim, h), linear(1, h), linear(shape.timesteps, h)];
    const norm = (): void => {
      this.norms.add(specs.length);
      specs.push(linear(1, h));
    };
    norm();
    for (let l = 0; l < layers; l++) {
      norm();
      specs.push(linear(h, 3 * h), linear(h, h));
      norm();
      specs.push(linear(h, 4 * h), linear(4 * h, h));
    }
    norm();
    specs.push(linear(h, actDim));
    this.group = new ParamGroup("dt", specs);
  }

  /** CORL's initialization: weights N(0, 0.02), biases 0, layer norm gains 1. */
  init(rng: Rng): Float32Array {
    const out = new Float32Array(this.group.size);
    this.group.specs.forEach((spec, i) => {
      const o = this.group.offsets[i];
      const n = spec.sizes[0] * spec.sizes[1];
      for (let k = 0; k < n; k++) out[o + k] = this.norms.has(i) ? 1 : rng.normal(0, 0.02);
    });
    return out;
  }

  /** Predicted actions in [-1, 1], [B·K, actDim], row b·K + t from the state token of step t. */
  forward(g: Graph, net: GroupValues, x: DtInputs): Value {
    const { embedDim: h, heads, contextLength: k } = this.shape;
    const b = x.observations.shape[0];
    const rows = b * k;
    const tokens = 3 * k;
    const p = (i: number) => net.layers(i)[0];
    const table = p(TIME).w;
    const time = g.reshape(g.gather(table, x.timesteps), [rows, h]);
    const lin = (i: number, v: Value) => {
      const flat = g.reshape(v, [rows, v.shape[2]]);
      return g.reshape(g.add(g.gemm(flat, p(i).w, p(i).b), time), [b, k, 1, h]);
    };
    const stacked = g.concat(
      [lin(RETURN, x.returnsToGo), lin(STATE, x.observations), lin(ACTION, x.actions)],
      2,
    );
    const ln = (i: number, v: Value) => layerNorm(g, v, p(i).w, p(i).b);
    let y = ln(EMB_NORM, g.reshape(stacked, [b * tokens, h]));
    // Additive masks: later tokens (causal) and padded steps' tokens (keys) get -1e9 before the softmax.
    const keyMask = g.reshape(g.expand(g.reshape(x.mask, [b, k, 1]), [b, k, 3]), [b, 1, 1, tokens]);
    const mask = g.add(causalMask(g, tokens), g.mul(g.sub(keyMask, 1), 1e9));
    const hd = h / heads;
    for (let l = 0; l < this.shape.layers; l++) {
      const base = EMB_NORM + 1 + l * PER_LAYER;
      // One Gemm for Q, K and V ([h, 3h] weight), cut by one Split (its gradient is one Concat).
      const qkv = g.split(g.gemm(ln(base + LN1, y), p(base + QKV).w, p(base + QKV).b), 1, [h, h, h]);
      const heads4 = (j: number, perm: number[]) =>
        g.transpose(g.reshape(qkv[j], [b, tokens, heads, hd]), perm);
      const [q, kT, v] = [heads4(0, [0, 2, 1, 3]), heads4(1, [0, 2, 3, 1]), heads4(2, [0, 2, 1, 3])];
      const scores = g.add(g.mul(g.batchMatmul(q, kT), 1 / Math.sqrt(hd)), mask);
      const attended = g.transpose(g.batchMatmul(softmax(g, scores), v), [0, 2, 1, 3]);
      y = g.add(y, g.gemm(g.reshape(attended, [b * tokens, h]), p(base + PROJ).w, p(base + PROJ).b));
      const hidden = gelu(g, g.gemm(ln(base + LN2, y), p(base + FC1).w, p(base + FC1).b));
      y = g.add(y, g.gemm(hidden, p(base + FC2).w, p(base + FC2).b));
    }
    const last = EMB_NORM + 1 + this.shape.layers * PER_LAYER;
    y = ln(last, y);
    const stateTokens = g.reshape(g.slice(g.reshape(y, [b, k, 3, h]), 2, 1, 2), [rows, h]);
    const head = p(last + 1);
    return g.tanh(g.gemm(stateTokens, head.w, head.b));
  }

  /**
   * `timesteps` as table rows into `out`, clamped to the table (the Gather's indices; they replaced one-hot
   * rows [n, timesteps] times the table, whose MatMul and its gradient were ~6% of an update at batch 64).
   */
  indices(timesteps: Int32Array, out: BigInt64Array): BigInt64Array {
    const n = this.shape.timesteps;
    timesteps.forEach((t, i) => (out[i] = BigInt(Math.min(Math.max(t, 0), n - 1))));
    return out;
  }
}
