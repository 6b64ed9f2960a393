/**
 * A typed graph builder over ONNX operators: every value carries its static shape, so shape mistakes fail
 * while the graph is built (with the op's name) instead of inside ONNX Runtime. Shapes are static (the
 * learner knows its batch size), which keeps broadcasting and the gradient rules in autodiff.ts simple.
 * The graph has one float element type (float32 for training, float64 for gradient checks).
 */
import { ShapeMismatchError } from "../core/errors.js";
import {
  OnnxModelError,
  type AttrValue,
  type NodeSpec,
  type TensorInit,
  type ValueInfo,
} from "./onnx-model.js";

export type FloatType = "float32" | "float64";

/** A value in the graph: an input, a constant or a node output. `bool` values are masks (no gradient). */
export interface Value {
  readonly name: string;
  readonly shape: readonly number[];
  readonly kind: "float" | "bool" | "int64";
}

/**
 * A node's own gradient rule: given the gradient of its (first) output, one gradient per input (undefined:
 * none). It replaces the op's rule in autodiff.ts, so a composite can reuse values its forward pass cached.
 */
export type NodeGradient = (dy: Value) => (Value | undefined)[];

/** A node as autodiff sees it: its op, attributes and typed inputs/outputs. */
export interface GraphNode {
  op: string;
  inputs: Value[];
  outputs: Value[];
  attrs: Record<string, AttrValue>;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Numpy broadcasting of two shapes, or undefined when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(Math.max(x, y));
  }
  return out;
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

export class Graph {
  readonly nodes: GraphNode[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly initializers: TensorInit[] = [];
  /** Values that must not receive gradients (masks, targets, stop-gradient). */
  readonly noGrad = new Set<string>();
  /** Gradient rules of single nodes, by the name of their first output (see customGradient). */
  readonly customGradients = new Map<string, NodeGradient>();
  private counter = 0;
  private readonly constants = new Map<string, Value>();

  constructor(
    readonly name: string,
    readonly dtype: FloatType = "float32",
  ) {}

  private fresh(prefix: string): string {
    this.counter += 1;
    return `${prefix}_${this.counter}`;
  }

  private fail(op: string, detail: string): never {
    throw new OnnxModelError(this.name, op, detail);
  }

  private floatArray(values: ArrayLike<number>): Float32Array | Float64Array {
    return this.dtype === "float32" ? Float32Array.from(values) : Float64Array.from(values);
  }

  /** A graph input fed on every run. */
  input(name: string, shape: readonly number[]): Value {
    if (this.inputs.some((v) => v.name === name)) this.fail(`input ${name}`, "declared twice");
    this.inputs.push({ name, dtype: this.dtype, shape });
    return { name, shape: [...shape], kind: "float" };
  }

  /** An int64 graph input (indices: a Gather's rows), fed as a BigInt64Array; it carries no gradient. */
  inputInt64(name: string, shape: readonly number[]): Value {
    if (this.inputs.some((v) => v.name === name)) this.fail(`input ${name}`, "declared twice");
    this.inputs.push({ name, dtype: "int64", shape });
    this.noGrad.add(name);
    return { name, shape: [...shape], kind: "int64" };
  }

  /** A constant tensor (initializer). Scalars of the same value are shared. */
  constant(values: number | ArrayLike<number>, shape: readonly number[] = []): Value {
    const data = typeof values === "number" ? [values] : values;
    if (data.length !== sizeOf(shape))
      throw new ShapeMismatchError(`${this.name} constant`, sizeOf(shape), data.length);
    const key = typeof values === "number" && shape.length === 0 ? `s${values}` : undefined;
    const cached = key === undefined ? undefined : this.constants.get(key);
    if (cached) return cached;
    const name = this.fresh("const");
    this.initializers.push({ name, dtype: this.dtype, dims: [...shape], data: this.floatArray(data) });
    const v: Value = { name, shape: [...shape], kind: "float" };
    if (key !== undefined) this.constants.set(key, v);
    return v;
  }

  private ints(values: readonly number[]): Value {
    const name = this.fresh("ints");
    this.initializers.push({
      name,
      dtype: "int64",
      dims: [values.length],
      data: BigInt64Array.from(values.map((v) => BigInt(v))),
    });
    return { name, shape: [values.length], kind: "int64" };
  }

  /** Adds a node with one output of the given shape and kind. */
  node(
    op: string,
    inputs: Value[],
    shape: readonly number[],
    attrs: Record<string, AttrValue> = {},
    kind: Value["kind"] = "float",
  ): Value {
    const out: Value = { name: this.fresh(op.toLowerCase()), shape: [...shape], kind };
    this.nodes.push({ op, inputs, outputs: [out], attrs });
    if (kind !== "float") this.noGrad.add(out.name);
    return out;
  }

  private binary(op: string, a: Value, b: Value): Value {
    const shape = broadcastShapes(a.shape, b.shape);
    if (!shape) this.fail(op, `shapes [${a.shape.join(", ")}] and [${b.shape.join(", ")}] do not broadcast`);
    return this.node(op, [a, b], shape);
  }

  private lift(x: Value | number): Value {
    return typeof x === "number" ? this.constant(x) : x;
  }

  add(a: Value | number, b: Value | number): Value {
    return this.binary("Add", this.lift(a), this.lift(b));
  }
  sub(a: Value | number, b: Value | number): Value {
    return this.binary("Sub", this.lift(a), this.lift(b));
  }
  mul(a: Value | number, b: Value | number): Value {
    return this.binary("Mul", this.lift(a), this.lift(b));
  }
  div(a: Value | number, b: Value | number): Value {
    return this.binary("Div", this.lift(a), this.lift(b));
  }
  /** Elementwise minimum (double-Q's min, clipped weights). */
  min(a: Value | number, b: Value | number): Value {
    return this.binary("Min", this.lift(a), this.lift(b));
  }
  max(a: Value | number, b: Value | number): Value {
    return this.binary("Max", this.lift(a), this.lift(b));
  }
  /** x ** p for a constant exponent. */
  pow(x: Value, p: number): Value {
    return this.binary("Pow", x, this.constant(p));
  }

  neg(x: Value): Value {
    return this.node("Neg", [x], x.shape);
  }
  relu(x: Value): Value {
    return this.node("Relu", [x], x.shape);
  }
  tanh(x: Value): Value {
    return this.node("Tanh", [x], x.shape);
  }
  sigmoid(x: Value): Value {
    return this.node("Sigmoid", [x], x.shape);
  }
  exp(x: Value): Value {
    return this.node("Exp", [x], x.shape);
  }
  log(x: Value): Value {
    return this.node("Log", [x], x.shape);
  }
  sqrt(x: Value): Value {
    return this.node("Sqrt", [x], x.shape);
  }
  abs(x: Value): Value {
    return this.node("Abs", [x], x.shape);
  }
  square(x: Value): Value {
    return this.node("Mul", [x, x], x.shape);
  }
  /** log(1 + exp(x)). */
  softplus(x: Value): Value {
    return this.node("Softplus", [x], x.shape);
  }
  clip(x: Value, lo: number, hi: number): Value {
    return this.node("Clip", [x, this.constant(lo), this.constant(hi)], x.shape);
  }
  /** The value itself with no gradient flowing back through it. */
  stopGradient(x: Value): Value {
    const out = this.node("Identity", [x], x.shape);
    this.noGrad.add(out.name);
    return out;
  }
  /**
   * Gives the node that computed `y` its own gradient rule instead of its op's. The composite's inner
   * values should be noGrad (no gradient flows through them), so the rule alone differentiates it.
   */
  customGradient(y: Value, rule: NodeGradient): void {
    if (!this.nodes.some((n) => n.outputs[0].name === y.name))
      this.fail(`customGradient ${y.name}`, "is not the first output of a node of this graph");
    this.customGradients.set(y.name, rule);
  }

  identity(x: Value): Value {
    return this.node("Identity", [x], x.shape);
  }

  /** 1 where a < b, else 0, as a float mask (no gradient). */
  lessMask(a: Value | number, b: Value | number): Value {
    const [x, y] = [this.lift(a), this.lift(b)];
    const shape = broadcastShapes(x.shape, y.shape);
    if (!shape) this.fail("Less", "shapes do not broadcast");
    return this.floatMask(this.node("Less", [x, y], shape, {}, "bool"));
  }

  /** A bool mask as 1/0 floats (no gradient). */
  floatMask(cond: Value): Value {
    if (cond.kind !== "bool") this.fail("Cast", `${cond.name} is not a bool mask`);
    const mask = this.node("Cast", [cond], cond.shape, { to: { int: this.dtype === "float32" ? 1 : 11 } });
    this.noGrad.add(mask.name);
    return mask;
  }

  /** where(cond, a, b) for a bool condition. */
  where(cond: Value, a: Value, b: Value): Value {
    if (cond.kind !== "bool") this.fail("Where", `condition ${cond.name} is not a bool mask`);
    const ab = broadcastShapes(a.shape, b.shape);
    const shape = ab && broadcastShapes(cond.shape, ab);
    if (!shape) this.fail("Where", "shapes do not broadcast");
    return this.node("Where", [cond, a, b], shape);
  }

  compare(op: "Less" | "Greater" | "LessOrEqual" | "GreaterOrEqual" | "Equal", a: Value, b: Value): Value {
    const shape = broadcastShapes(a.shape, b.shape);
    if (!shape) this.fail(op, "shapes do not broadcast");
    return this.node(op, [a, b], shape, {}, "bool");
  }

  and(a: Value, b: Value): Value {
    const shape = broadcastShapes(a.shape, b.shape);
    if (!shape) this.fail("And", "shapes do not broadcast");
    return this.node("And", [a, b], shape, {}, "bool");
  }

  /** a·b of two matrices. */
  matmul(a: Value, b: Value): Value {
    return this.gemm(a, b);
  }

  /** op(a)·op(b) (+ c broadcast to the result), op = transpose when asked: ONNX Gemm, 2-D only. */
  gemm(a: Value, b: Value, c?: Value, transA = false, transB = false): Value {
    if (a.shape.length !== 2 || b.shape.length !== 2)
      this.fail("Gemm", `needs matrices, got [${a.shape.join(", ")}] and [${b.shape.join(", ")}]`);
    const [m, k] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
    const [k2, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
    if (k !== k2) this.fail("Gemm", `inner dimensions ${k} and ${k2} differ`);
    if (c && !broadcastShapes(c.shape, [m, n])?.every((d, i) => d === [m, n][i]))
      this.fail("Gemm", `bias [${c.shape.join(", ")}] does not broadcast to [${m}, ${n}]`);
    const attrs: Record<string, AttrValue> = {};
    if (transA) attrs.transA = { int: 1 };
    if (transB) attrs.transB = { int: 1 };
    return this.node("Gemm", c ? [a, b, c] : [a, b], [m, n], attrs);
  }

  /**
   * Batched a·b (ONNX MatMul): [..., m, k]·[..., k, n] with the leading axes equal, or b a plain [k, n]
   * matrix shared by every batch entry (a transformer's projections).
   */
  batchMatmul(a: Value, b: Value): Value {
    const [ra, rb] = [a.shape.length, b.shape.length];
    const lead = a.shape.slice(0, ra - 2);
    const sameLead = rb === ra && b.shape.slice(0, rb - 2).every((d, i) => d === lead[i]);
    if (ra < 2 || !(rb === 2 || sameLead))
      this.fail("MatMul", `[${a.shape.join(", ")}] and [${b.shape.join(", ")}] are not batched matrices`);
    const [m, k] = a.shape.slice(ra - 2);
    const [k2, n] = b.shape.slice(rb - 2);
    if (k !== k2) this.fail("MatMul", `inner dimensions ${k} and ${k2} differ`);
    return this.node("MatMul", [a, b], [...lead, m, n]);
  }

  /** Rows of `table` [n, d] picked by int64 `indices` [...] (ONNX Gather on axis 0): [..., d]. */
  gather(table: Value, indices: Value): Value {
    if (table.shape.length !== 2 || indices.kind !== "int64")
      this.fail(
        "Gather",
        `needs a [n, d] table and int64 indices, got ${indices.kind} [${indices.shape.join(", ")}]`,
      );
    return this.node("Gather", [table, indices], [...indices.shape, table.shape[1]]);
  }

  /**
   * ONNX LayerNormalization over the last axis: one kernel where the composite (layer-norm.ts) is nine
   * elementwise ops forward and about twenty backward. Its two extra outputs, the row means and inverse
   * standard deviations, are what the gradient rule reuses. ONNX Runtime has it for float32 only.
   */
  layerNormalization(x: Value, gain: Value, bias: Value, eps: number): Value {
    const d = x.shape[x.shape.length - 1];
    if (gain.shape.join() !== `${d}` || bias.shape.join() !== `${d}`)
      this.fail(
        "LayerNormalization",
        `gain and bias must be [${d}], got [${gain.shape}] and [${bias.shape}]`,
      );
    if (this.dtype !== "float32") this.fail("LayerNormalization", "ONNX Runtime runs it in float32 only");
    const stats = [...x.shape.slice(0, -1), 1];
    const outputs: Value[] = [x.shape, stats, stats].map((shape) => ({
      name: this.fresh("layernorm"),
      shape: [...shape],
      kind: "float" as const,
    }));
    this.nodes.push({
      op: "LayerNormalization",
      inputs: [x, gain, bias],
      outputs,
      attrs: { axis: { int: -1 }, epsilon: { float: eps } },
    });
    return outputs[0];
  }

  /** The Gauss error function (exact GELU's building block). */
  erf(x: Value): Value {
    return this.node("Erf", [x], x.shape);
  }

  /** Sum over `axes` (all when omitted). */
  sum(x: Value, axes?: readonly number[], keepDims = false): Value {
    return this.reduce("ReduceSum", x, axes, keepDims);
  }
  mean(x: Value, axes?: readonly number[], keepDims = false): Value {
    return this.reduce("ReduceMean", x, axes, keepDims);
  }
  /** Maximum over `axes`, for numerically stable composites: it passes no gradient. */
  maxNoGrad(x: Value, axes: readonly number[], keepDims = false): Value {
    const out = this.reduce("ReduceMax", x, axes, keepDims);
    this.noGrad.add(out.name);
    return out;
  }

  private reduce(op: string, x: Value, axes: readonly number[] | undefined, keepDims: boolean): Value {
    const rank = x.shape.length;
    const all = (axes ?? x.shape.map((_, i) => i)).map((a) => normAxis(a, rank));
    if (all.some((a) => a < 0 || a >= rank)) this.fail(op, `axes ${all.join(", ")} out of rank ${rank}`);
    const shape: number[] = [];
    x.shape.forEach((d, i) => {
      if (!all.includes(i)) shape.push(d);
      else if (keepDims) shape.push(1);
    });
    const keep = { keepdims: { int: keepDims ? 1 : 0 } };
    // Opset 17: ReduceSum takes axes as an input, the other reductions as an attribute.
    if (op === "ReduceSum") return this.node(op, [x, this.ints(all)], shape, keep);
    return this.node(op, [x], shape, { ...keep, axes: { ints: all } });
  }

  /** log(Σ exp(x)) over one axis, shifted by the (gradient-free) maximum so it cannot overflow. */
  logSumExp(x: Value, axis: number, keepDims = false): Value {
    const m = this.maxNoGrad(x, [axis], true);
    const s = this.log(this.sum(this.exp(this.sub(x, m)), [axis], true));
    const out = this.add(s, m);
    return keepDims
      ? out
      : this.reshape(
          out,
          out.shape.filter((_, i) => i !== normAxis(axis, x.shape.length)),
        );
  }

  reshape(x: Value, shape: readonly number[]): Value {
    if (sizeOf(shape) !== sizeOf(x.shape))
      this.fail(
        "Reshape",
        `[${x.shape.join(", ")}] has ${sizeOf(x.shape)} elements, [${shape.join(", ")}] ${sizeOf(shape)}`,
      );
    return this.node("Reshape", [x, this.ints(shape)], shape, {}, x.kind);
  }

  transpose(x: Value, perm: readonly number[]): Value {
    return this.node(
      "Transpose",
      [x],
      perm.map((p) => x.shape[p]),
      { perm: { ints: perm } },
    );
  }

  /** Broadcasts x to `shape` (numpy rules). */
  expand(x: Value, shape: readonly number[]): Value {
    const out = broadcastShapes(x.shape, shape);
    if (!out || out.some((d, i) => d !== shape[i]))
      this.fail("Expand", `[${x.shape.join(", ")}] to [${shape.join(", ")}]`);
    return this.node("Expand", [x, this.ints(shape)], shape);
  }

  concat(values: Value[], axis: number): Value {
    const rank = values[0].shape.length;
    const ax = normAxis(axis, rank);
    const shape = [...values[0].shape];
    shape[ax] = 0;
    for (const v of values) {
      if (v.shape.length !== rank || v.shape.some((d, i) => i !== ax && d !== values[0].shape[i]))
        this.fail(
          "Concat",
          `[${v.shape.join(", ")}] does not match [${values[0].shape.join(", ")}] off axis ${ax}`,
        );
      shape[ax] += v.shape[ax];
    }
    return this.node("Concat", values, shape, { axis: { int: ax } });
  }

  /** x[start:end] along `axis` (step 1). */
  slice(x: Value, axis: number, start: number, end: number): Value {
    const ax = normAxis(axis, x.shape.length);
    if (start < 0 || end > x.shape[ax] || start >= end)
      this.fail("Slice", `[${start}, ${end}) outside axis ${ax} of size ${x.shape[ax]}`);
    const shape = [...x.shape];
    shape[ax] = end - start;
    return this.node("Slice", [x, this.ints([start]), this.ints([end]), this.ints([ax])], shape);
  }

  /**
   * Splits x along `axis` into consecutive pieces of `sizes` (one ONNX Split node, one copy of x): the
   * engine's flat state into tensors, a transformer's fused Q/K/V projection into Q, K and V.
   */
  split(x: Value, axis: number, sizes: readonly number[]): Value[] {
    const ax = normAxis(axis, x.shape.length);
    if (sizes.reduce((a, b) => a + b, 0) !== x.shape[ax] || sizes.some((s) => s < 1))
      this.fail("Split", `sizes ${sizes.join(", ")} do not partition axis ${ax} of size ${x.shape[ax]}`);
    const outputs: Value[] = sizes.map((size) => {
      const shape = [...x.shape];
      shape[ax] = size;
      return { name: this.fresh("split"), shape, kind: x.kind };
    });
    this.nodes.push({ op: "Split", inputs: [x, this.ints(sizes)], outputs, attrs: { axis: { int: ax } } });
    return outputs;
  }

  /** Zero padding: `pads` is ONNX's [begin_0, ..., begin_n, end_0, ..., end_n]. */
  pad(x: Value, pads: readonly number[]): Value {
    const r = x.shape.length;
    const shape = x.shape.map((d, i) => d + pads[i] + pads[i + r]);
    return this.node("Pad", [x, this.ints(pads)], shape);
  }

  /** The nodes in ONNX's plain form (program.ts adds graph outputs and encodes the model). */
  toNodes(): NodeSpec[] {
    return this.nodes.map((n) => ({
      op: n.op,
      inputs: n.inputs.map((v) => v.name),
      outputs: n.outputs.map((v) => v.name),
      attrs: n.attrs,
    }));
  }
}
