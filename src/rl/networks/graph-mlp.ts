/**
 * MLPs on the training engine (src/tensor): a ParamGroup describes one or more networks' parameters in the
 * flat layout checkpoints and exports use (mlp-spec.ts) and cuts that flat vector into per-layer graph
 * values; `mlpGraph` is the forward pass as graph nodes.
 */
import { ShapeMismatchError } from "../../core/errors.js";
import type { Graph, Value } from "../../tensor/graph.js";
import { layerNorm } from "../../tensor/layer-norm.js";
import { exportMlp, layerActivation, type MlpSpec } from "./mlp-spec.js";
import type { NetworkWeights } from "./weights-format.js";

export interface LayerValues {
  w: Value;
  b: Value;
}

interface TensorSlot {
  suffix: string;
  shape: number[];
  offset: number;
  size: number;
}

export class ParamGroup {
  readonly size: number;
  readonly offsets: number[] = [];
  private readonly slots: TensorSlot[] = [];

  constructor(
    readonly name: string,
    readonly specs: MlpSpec[],
  ) {
    let o = 0;
    specs.forEach((spec, i) => {
      this.offsets.push(o);
      for (let l = 0; l + 1 < spec.sizes.length; l++) {
        const [inDim, outDim] = [spec.sizes[l], spec.sizes[l + 1]];
        this.slots.push({ suffix: `${i}/w${l}`, shape: [inDim, outDim], offset: o, size: inDim * outDim });
        o += inDim * outDim;
        this.slots.push({ suffix: `${i}/b${l}`, shape: [outDim], offset: o, size: outDim });
        o += outDim;
      }
    });
    this.size = o;
  }

  /** Shapes of the tensors, in flat layout order. */
  shapes(): number[][] {
    return this.slots.map((s) => s.shape);
  }

  /** Splits a flat vector into per-tensor values named under `prefix` (dt-onnx.ts bakes them as constants). */
  split(flat: Float32Array, prefix = this.name): Record<string, Float32Array> {
    if (flat.length !== this.size)
      throw new ShapeMismatchError(`${prefix} parameters`, this.size, flat.length);
    const out: Record<string, Float32Array> = {};
    for (const s of this.slots) out[`${prefix}/${s.suffix}`] = flat.slice(s.offset, s.offset + s.size);
    return out;
  }

  /**
   * The group's tensors, in flat layout order, as graph values cut from one flat [size] value: the engine
   * keeps each group as one flat state tensor so its Adam and Polyak steps are a handful of ops.
   */
  unpack(g: Graph, flat: Value): Value[] {
    if (flat.shape.length !== 1 || flat.shape[0] !== this.size)
      throw new ShapeMismatchError(
        `${this.name} flat parameters`,
        `[${this.size}]`,
        `[${flat.shape.join(", ")}]`,
      );
    const pieces =
      this.slots.length === 1
        ? [flat]
        : g.split(
            flat,
            0,
            this.slots.map((s) => s.size),
          );
    return pieces.map((v, i) => (this.slots[i].shape.length === 1 ? v : g.reshape(v, this.slots[i].shape)));
  }

  /** Net `i`'s layers among the values `unpack` returned. */
  layers(values: Value[], i: number): LayerValues[] {
    let k = 0;
    for (let n = 0; n < i; n++) k += 2 * (this.specs[n].sizes.length - 1);
    const out: LayerValues[] = [];
    for (let l = 0; l + 1 < this.specs[i].sizes.length; l++)
      out.push({ w: values[k + 2 * l], b: values[k + 2 * l + 1] });
    return out;
  }

  exportNetwork(i: number, flat: Float32Array): NetworkWeights {
    return exportMlp(this.specs[i], flat, this.offsets[i]);
  }
}

/**
 * The forward pass: x·W + b per layer (one Gemm), then the layer's activation; with `norms`, hidden layer l's
 * activation is then layer-normalized with gain `norms[l].w` (a [1, width] matrix) and bias `norms[l].b`
 * (Dense → ReLU → LayerNorm, as ReBRAC's critics).
 */
export function mlpGraph(
  g: Graph,
  spec: MlpSpec,
  layers: LayerValues[],
  x: Value,
  norms?: LayerValues[],
): Value {
  let h = x;
  layers.forEach(({ w, b }, l) => {
    const z = g.gemm(h, w, b);
    const activation = layerActivation(spec, l);
    h = activation === "relu" ? g.relu(z) : activation === "tanh" ? g.tanh(z) : z;
    if (norms && l + 1 < layers.length) h = layerNorm(g, h, g.reshape(norms[l].w, [h.shape[1]]), norms[l].b);
  });
  return h;
}
