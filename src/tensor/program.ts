/**
 * A compiled graph with state: parameters and optimizer moments live in two ONNX Runtime tensors each (the
 * current one is fed, the next one is a preallocated output), swapped after every run. Nothing of the
 * state passes through JavaScript during training; reading it (checkpoints, exports) copies it out.
 */
import * as ort from "onnxruntime-node";
import { ShapeMismatchError, TetherError } from "../core/errors.js";
import { sizeOf, type Graph, type Value } from "./graph.js";
import { encodeModel, type NodeSpec, type ValueInfo } from "./onnx-model.js";
import { pruneDeadNodes } from "./prune.js";
import { createSyncSession, engineOptions, type EngineOptions, type SyncSession } from "./session.js";

type FloatArray = Float32Array | Float64Array;
/** What a run is fed: the graph's float type, or BigInt64Array for its int64 inputs (indices). */
export type FeedArray = FloatArray | BigInt64Array;

/** A state variable: the graph input holding its current value and the value it takes after a run. */
export interface StateVar {
  name: string;
  input: Value;
  /** Undefined for state that is read but never changed by this program (e.g. frozen weights). */
  next?: Value;
}

export interface ProgramSpec {
  graph: Graph;
  state: StateVar[];
  /** Named outputs returned by every run (metrics, actions). */
  outputs: Record<string, Value>;
}

interface Slot {
  cur: ort.Tensor;
  /** The buffer the next value is written into (allocated when a program first updates this state). */
  spare?: ort.Tensor;
}

/**
 * Named state tensors shared by the programs of one learner (an update program per batch size or variant,
 * forward programs for acting): each reads the current buffer in place, and a program that updates a
 * state writes its spare buffer and swaps.
 */
export class StateStore {
  private readonly slots = new Map<string, Slot>();

  constructor(readonly dtype: "float32" | "float64" = "float32") {}

  add(name: string, data: ArrayLike<number>, dims: readonly number[]): void {
    if (this.slots.has(name))
      throw new TetherError("PROGRAM", `state ${name} declared twice`, { state: name });
    if (data.length !== sizeOf(dims))
      throw new ShapeMismatchError(`state ${name}`, sizeOf(dims), data.length);
    const values = this.dtype === "float32" ? Float32Array.from(data) : Float64Array.from(data);
    this.slots.set(name, { cur: new ort.Tensor(this.dtype, values, [...dims]) });
  }

  has(name: string): boolean {
    return this.slots.has(name);
  }

  slot(name: string): Slot {
    const s = this.slots.get(name);
    if (!s) throw new TetherError("PROGRAM", `no state ${name}`, { state: name });
    return s;
  }

  /** The current value (a copy). */
  read(name: string): FloatArray {
    return (this.slot(name).cur.data as FloatArray).slice();
  }

  /** The current value without a copy, valid until the next run that updates it. */
  view(name: string): FloatArray {
    return this.slot(name).cur.data as FloatArray;
  }

  write(name: string, values: ArrayLike<number>): void {
    const data = this.slot(name).cur.data as FloatArray;
    if (values.length !== data.length)
      throw new ShapeMismatchError(`state ${name}`, data.length, values.length);
    data.set(values);
  }

  names(): string[] {
    return [...this.slots.keys()];
  }
}

export class Program {
  /** The state this program reads and updates. */
  readonly store: StateStore;
  private readonly session: SyncSession;
  private readonly outputs: Record<string, ort.Tensor> = {};
  private readonly feedShapes = new Map<string, { shape: readonly number[]; int64: boolean }>();
  private readonly feedTensors = new Map<string, ort.Tensor>();
  private readonly stateNames: string[] = [];
  private readonly nextNames: [string, string][] = [];
  /** Size of the model handed to ONNX Runtime, for logs and benches. */
  readonly modelBytes: number;
  /** Nodes ONNX Runtime runs (after dead nodes are removed), for benches. */
  readonly nodeCount: number;

  /**
   * `store` holds every state the graph declares (created by the caller); a StateStore of its own is
   * made from `init` when a record is given (single-program use and tests).
   */
  constructor(
    readonly spec: ProgramSpec,
    storeOrInit: StateStore | Record<string, FloatArray>,
    options: EngineOptions = engineOptions(),
  ) {
    const g = spec.graph;
    const store = storeOrInit instanceof StateStore ? storeOrInit : new StateStore(g.dtype);
    if (!(storeOrInit instanceof StateStore))
      for (const s of spec.state) {
        const data = storeOrInit[s.name];
        if (!data)
          throw new TetherError("PROGRAM", `state ${s.name} has no initial value`, { state: s.name });
        store.add(s.name, data, s.input.shape);
      }
    this.store = store;
    const stateNames = new Set(spec.state.map((s) => s.name));
    const rename = new Map<string, string>();
    const extra: NodeSpec[] = [];
    const producedByNode = new Set(g.nodes.flatMap((n) => n.outputs.map((o) => o.name)));
    const outputs: ValueInfo[] = [];
    const claim = (value: Value, name: string): void => {
      // Renaming the producing node's output saves a copy; inputs, constants and repeats need an Identity.
      if (producedByNode.has(value.name) && !rename.has(value.name)) rename.set(value.name, name);
      else extra.push({ op: "Identity", inputs: [value.name], outputs: [name] });
      outputs.push({ name, dtype: g.dtype, shape: value.shape });
    };
    for (const s of spec.state) {
      if (s.input.name !== s.name)
        throw new TetherError("PROGRAM", `state ${s.name} is fed as ${s.input.name}`);
      const slot = store.slot(s.name);
      if (sizeOf(slot.cur.dims) !== sizeOf(s.input.shape))
        throw new ShapeMismatchError(`state ${s.name}`, sizeOf(s.input.shape), sizeOf(slot.cur.dims));
      this.stateNames.push(s.name);
      if (s.next) {
        if (s.next.shape.join() !== s.input.shape.join())
          throw new ShapeMismatchError(
            `next value of state ${s.name}`,
            s.input.shape.join("x"),
            s.next.shape.join("x"),
          );
        slot.spare ??= new ort.Tensor(g.dtype, (slot.cur.data as FloatArray).slice(), [...slot.cur.dims]);
        const nextName = `${s.name}__next`;
        claim(s.next, nextName);
        this.nextNames.push([s.name, nextName]);
      }
    }
    for (const [name, value] of Object.entries(spec.outputs)) {
      claim(value, name);
      const size = sizeOf(value.shape);
      this.outputs[name] = new ort.Tensor(
        g.dtype,
        g.dtype === "float32" ? new Float32Array(size) : new Float64Array(size),
        [...value.shape],
      );
    }
    for (const v of g.inputs)
      if (!stateNames.has(v.name))
        this.feedShapes.set(v.name, { shape: v.shape as number[], int64: v.dtype === "int64" });
    const nodes = g.toNodes().map((n) => ({
      ...n,
      inputs: n.inputs.map((x) => rename.get(x) ?? x),
      outputs: n.outputs.map((x) => rename.get(x) ?? x),
    }));
    for (const e of extra) e.inputs = e.inputs.map((x) => rename.get(x) ?? x);
    const live = pruneDeadNodes(
      [...nodes, ...extra],
      outputs.map((o) => o.name),
    );
    this.nodeCount = live.length;
    const used = new Set(live.flatMap((n) => n.inputs));
    const bytes = encodeModel({
      graphName: g.name,
      nodes: live,
      inputs: g.inputs,
      outputs,
      initializers: g.initializers.filter((t) => used.has(t.name)),
    });
    this.modelBytes = bytes.byteLength;
    this.session = createSyncSession(bytes, options);
  }

  /**
   * One run: feeds the batch inputs and the current state, writes the next state and the outputs into
   * preallocated buffers, swaps state buffers. The returned arrays are reused by the next run.
   */
  run(feeds: Record<string, FeedArray>): Record<string, FloatArray> {
    const g = this.spec.graph;
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, { shape, int64 }] of this.feedShapes) {
      const data = feeds[name];
      if (!data) throw new TetherError("PROGRAM", `${g.name}: input ${name} was not fed`, { input: name });
      if (int64 !== data instanceof BigInt64Array)
        throw new TetherError(
          "PROGRAM",
          `${g.name}: input ${name} must be fed as ${int64 ? "int64" : g.dtype}`,
          {
            input: name,
          },
        );
      if (data.length !== sizeOf(shape))
        throw new ShapeMismatchError(
          `${g.name} input ${name} [${shape.join(", ")}]`,
          sizeOf(shape),
          data.length,
        );
      // Learners feed the same buffers every update (the sampler's batch, the trainer's scalars): their
      // tensor wrappers are kept, so a run allocates nothing for them.
      let tensor = this.feedTensors.get(name);
      if (tensor?.data !== data) {
        tensor =
          data instanceof BigInt64Array
            ? new ort.Tensor("int64", data, [...shape])
            : new ort.Tensor(g.dtype, data, [...shape]);
        this.feedTensors.set(name, tensor);
      }
      inputs[name] = tensor;
    }
    const fetches: Record<string, ort.Tensor> = { ...this.outputs };
    for (const name of this.stateNames) inputs[name] = this.store.slot(name).cur;
    for (const [name, nextName] of this.nextNames)
      fetches[nextName] = this.store.slot(name).spare as ort.Tensor;
    this.session.run(inputs, fetches);
    for (const [name] of this.nextNames) {
      const slot = this.store.slot(name);
      [slot.cur, slot.spare] = [slot.spare as ort.Tensor, slot.cur];
    }
    const out: Record<string, FloatArray> = {};
    for (const [name, t] of Object.entries(this.outputs)) out[name] = t.data as FloatArray;
    return out;
  }

  read(name: string): FloatArray {
    return this.store.read(name);
  }

  dispose(): void {
    this.session.dispose();
  }
}
