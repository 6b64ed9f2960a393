/**
 * What every engine learner shares: its networks' parameters, Adam moments and Polyak targets as engine
 * state (one StateStore, one flat tensor per group and kind, in the mlp-spec.ts layout: Adam and Polyak
 * are then a dozen ops per group instead of per tensor, and a run marshals a few state tensors instead of
 * a hundred); one training Program per batch size and variant, built from the algorithm's
 * forward losses (gradients and optimizer steps are appended here by `optimize`, never written by the
 * algorithm); small forward Programs for acting, reading the same state in place;
 * and the checkpoint layout of the earlier tfjs learners (`<net>/params`, `<net>/adam_m`, `<net>/adam_v`,
 * `<net>/target`, scalar `<net>/adam_step`), so existing checkpoints and tests carry over.
 */
import { ShapeMismatchError, TetherError } from "../../core/errors.js";
import { gradients } from "../../tensor/autodiff.js";
import { Graph, sizeOf, type Value } from "../../tensor/graph.js";
import { adamInputs, adamScalars, adamUpdate, polyakUpdate, type AdamConfig } from "../../tensor/optim.js";
import { Program, StateStore, type StateVar } from "../../tensor/program.js";
import type { LayerValues, ParamGroup } from "../networks/graph-mlp.js";
import { checkStateArray, type Metrics, type StateDict } from "./learner.js";

export interface GroupConfig {
  group: ParamGroup;
  /** Flat initial parameters (mlp-spec.ts layout). */
  init: Float32Array;
  /** Trained with Adam when given. */
  adam?: AdamConfig;
  /** Keeps a Polyak-averaged target copy. */
  target?: boolean;
  /** Multiplies the learning rate at Adam step t (1-based): schedules such as DT's linear warmup. */
  lrScale?: (t: number) => number;
}

/** A group as the algorithm's graph sees it. */
export interface GroupValues {
  params: Value[];
  target: Value[];
  layers(net: number, which?: "params" | "target"): LayerValues[];
}

export interface UpdateGraph {
  metrics: Record<string, Value>;
  /** Groups whose target moves toward the (updated) parameters by τ at the end of the update. */
  polyak?: Record<string, number>;
}

/**
 * Applies one Adam step to `group` on `loss` (its gradient w.r.t. that group's parameters only) and
 * returns the group with the updated parameters, for losses later in the same update that must see them.
 */
export type Optimize = (group: string, loss: Value) => GroupValues;

export type BuildUpdate = (
  g: Graph,
  groups: Record<string, GroupValues>,
  batchSize: number,
  optimize: Optimize,
  variant: string,
) => UpdateGraph;

type Which = "params" | "target" | "adam_m" | "adam_v";

/** The state name of a group's flat tensor: the checkpoint key of the same array. */
const stateName = (group: string, which: Which): string => `${group}/${which}`;

interface Compiled {
  program: Program;
  optimized: string[];
}

export class GraphTrainer {
  private readonly configs = new Map<string, GroupConfig>();
  private readonly steps = new Map<string, number>();
  private readonly programs = new Map<string, Compiled>();
  private readonly forwards = new Map<string, Program>();
  private readonly store = new StateStore("float32");
  private readonly scalars = new Map<string, Float32Array>();

  constructor(
    readonly name: string,
    groups: GroupConfig[],
    private readonly build: BuildUpdate,
  ) {
    for (const c of groups) {
      const n = c.group.name;
      this.configs.set(n, c);
      const add = (which: Which, flat: Float32Array): void =>
        this.store.add(stateName(n, which), flat, [c.group.size]);
      add("params", c.init);
      if (c.target) add("target", c.init);
      if (c.adam) {
        add("adam_m", new Float32Array(c.group.size));
        add("adam_v", new Float32Array(c.group.size));
        this.steps.set(n, 0);
      }
    }
  }

  /** Declares every group's parameters (and targets) as state inputs of `g`. */
  private declare(g: Graph, state: StateVar[]): Record<string, FlatGroup> {
    const out: Record<string, FlatGroup> = {};
    for (const [n, c] of this.configs) {
      const input = (which: Which): Value => {
        const v = g.input(stateName(n, which), [c.group.size]);
        state.push({ name: v.name, input: v });
        return v;
      };
      out[n] = new FlatGroup(g, c.group, input("params"), c.target ? input("target") : undefined);
    }
    return out;
  }

  private compile(batchSize: number, variant: string): Compiled {
    const g = new Graph(`${this.name}_${variant}_b${batchSize}`);
    const state: StateVar[] = [];
    const groups = this.declare(g, state);
    const byName = new Map(state.map((s) => [s.name, s]));
    const latest = new Map<string, Value>();
    const optimized: string[] = [];
    const optimize: Optimize = (n, loss) => {
      const c = this.configs.get(n);
      if (!c?.adam) throw new TetherError("LEARNER", `${this.name}: group ${n} has a loss but no optimizer`);
      if (latest.has(n))
        throw new TetherError("LEARNER", `${this.name}: group ${n} optimized twice in one update`);
      const group = groups[n];
      const grads = gradients(g, loss, group.params).map((d) =>
        d.shape.length === 1 ? d : g.reshape(d, [sizeOf(d.shape)]),
      );
      const grad = grads.length === 1 ? grads[0] : g.concat(grads, 0);
      const [m, v] = (["adam_m", "adam_v"] as const).map((which) =>
        g.input(stateName(n, which), [c.group.size]),
      );
      const next = adamUpdate(g, { param: group.flat, m, v }, grad, adamInputs(g, n), c.adam);
      (byName.get(group.flat.name) as StateVar).next = next.param;
      state.push({ name: m.name, input: m, next: next.m }, { name: v.name, input: v, next: next.v });
      latest.set(n, next.param);
      optimized.push(n);
      return new FlatGroup(g, c.group, next.param, group.targetFlat);
    };
    const update = this.build(g, groups, batchSize, optimize, variant);
    for (const [n, tau] of Object.entries(update.polyak ?? {})) {
      const { flat, targetFlat } = groups[n];
      if (!targetFlat) throw new TetherError("LEARNER", `${this.name}: group ${n} has no target network`);
      (byName.get(targetFlat.name) as StateVar).next = polyakUpdate(
        g,
        targetFlat,
        latest.get(n) ?? flat,
        tau,
      );
    }
    return { program: new Program({ graph: g, state, outputs: update.metrics }, this.store), optimized };
  }

  /** One update on a batch of `batchSize` rows: `feeds` are the algorithm's batch inputs. */
  update(
    feeds: Record<string, Float32Array | BigInt64Array>,
    batchSize: number,
    variant = "update",
  ): Metrics {
    const key = `${variant}/${batchSize}`;
    let compiled = this.programs.get(key);
    if (!compiled) {
      compiled = this.compile(batchSize, variant);
      this.programs.set(key, compiled);
    }
    const all: Record<string, Float32Array | BigInt64Array> = { ...feeds };
    for (const n of compiled.optimized) {
      const c = this.configs.get(n) as GroupConfig;
      const adam = c.adam as AdamConfig;
      const t = (this.steps.get(n) ?? 0) + 1;
      const { stepSize, epsHat } = adamScalars(adam, t, adam.lr * (c.lrScale?.(t) ?? 1));
      // One buffer per scalar for the trainer's life: the program reuses its tensor wrapper.
      const [s, e] = [`${n}/step_size`, `${n}/eps_hat`].map((k) => {
        let buf = this.scalars.get(k);
        if (!buf) this.scalars.set(k, (buf = new Float32Array(1)));
        return buf;
      });
      s[0] = stepSize;
      e[0] = epsHat;
      all[`${n}/step_size`] = s;
      all[`${n}/eps_hat`] = e;
    }
    const out = compiled.program.run(all);
    for (const n of compiled.optimized) this.steps.set(n, (this.steps.get(n) ?? 0) + 1);
    const metrics: Metrics = {};
    for (const [k, v] of Object.entries(out)) metrics[k] = v[0];
    return metrics;
  }

  /**
   * A forward pass for `n` rows on the current parameters (acting, evaluation): built once per (key, n),
   * reading the parameters in place.
   */
  forward(
    key: string,
    n: number,
    build: (g: Graph, groups: Record<string, GroupValues>) => Value,
    feeds: Record<string, Float32Array | BigInt64Array>,
  ): Float32Array {
    const id = `${key}/${n}`;
    let program = this.forwards.get(id);
    if (!program) {
      const g = new Graph(`${this.name}_${key}_n${n}`);
      const state: StateVar[] = [];
      const groups = this.declare(g, state);
      program = new Program({ graph: g, state, outputs: { out: build(g, groups) } }, this.store);
      this.forwards.set(id, program);
    }
    return (program.run(feeds).out as Float32Array).slice();
  }

  /** Flat parameters of a group (or its target / Adam moments), in the mlp-spec.ts layout (a copy). */
  read(group: string, which: Which = "params"): Float32Array {
    this.group(group);
    return this.store.read(stateName(group, which)) as Float32Array;
  }

  write(group: string, which: Which, flat: Float32Array): void {
    const c = this.group(group);
    if (flat.length !== c.group.size)
      throw new ShapeMismatchError(`${group} ${which}`, c.group.size, flat.length);
    this.store.write(stateName(group, which), flat);
  }

  adamStep(group: string): number {
    return this.steps.get(group) ?? 0;
  }

  private group(name: string): GroupConfig {
    const c = this.configs.get(name);
    if (!c) throw new TetherError("LEARNER", `${this.name} has no network ${name}`);
    return c;
  }

  /** Checkpoint arrays in the earlier tfjs learners' layout (their checkpoints still load). */
  save(state: StateDict): void {
    for (const [n, c] of this.configs) {
      state.arrays[`${n}/params`] = this.read(n);
      if (c.target) state.arrays[`${n}/target`] = this.read(n, "target");
      if (c.adam) {
        state.arrays[`${n}/adam_m`] = this.read(n, "adam_m");
        state.arrays[`${n}/adam_v`] = this.read(n, "adam_v");
        state.scalars[`${n}/adam_step`] = this.adamStep(n);
      }
    }
  }

  /** Checks every array first, then loads, so a refused state dict changes nothing. */
  load(state: StateDict): void {
    const writes: [string, Which, Float32Array][] = [];
    for (const [n, c] of this.configs) {
      const size = c.group.size;
      writes.push([n, "params", checkStateArray(state, `${n}/params`, size)]);
      if (c.target) writes.push([n, "target", checkStateArray(state, `${n}/target`, size)]);
      if (c.adam) {
        writes.push([n, "adam_m", checkStateArray(state, `${n}/adam_m`, size)]);
        writes.push([n, "adam_v", checkStateArray(state, `${n}/adam_v`, size)]);
      }
    }
    for (const [n, which, values] of writes) this.write(n, which, values);
    for (const n of this.steps.keys()) this.steps.set(n, state.scalars[`${n}/adam_step`] ?? 0);
  }

  dispose(): void {
    for (const c of this.programs.values()) c.program.dispose();
    for (const p of this.forwards.values()) p.dispose();
    this.programs.clear();
    this.forwards.clear();
  }
}

/**
 * A group in one graph: its flat parameter (and target) values, cut into per-layer tensors on first use,
 * so a program that never reads a group's target (or parameters) has no nodes for it.
 */
class FlatGroup implements GroupValues {
  private cut?: Value[];
  private targetCut?: Value[];

  constructor(
    private readonly g: Graph,
    private readonly group: ParamGroup,
    readonly flat: Value,
    readonly targetFlat: Value | undefined,
  ) {}

  get params(): Value[] {
    return (this.cut ??= this.group.unpack(this.g, this.flat));
  }

  get target(): Value[] {
    if (!this.targetFlat) return [];
    return (this.targetCut ??= this.group.unpack(this.g, this.targetFlat));
  }

  layers(net: number, which: "params" | "target" = "params"): LayerValues[] {
    return this.group.layers(which === "params" ? this.params : this.target, net);
  }
}

/** A group's target networks seen as its parameters (a target actor's forward pass). */
export function targetView(group: GroupValues): GroupValues {
  return {
    params: group.target,
    target: group.target,
    layers: (net) => group.layers(net, "target"),
  };
}
