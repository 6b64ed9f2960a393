/**
 * What every engine learner shares: its networks' parameters, Adam moments and Polyak targets as engine
 * state; one training Program per batch size built from the algorithm's forward losses (gradients and
 * optimizer steps are appended here, never written by the algorithm); small forward Programs for acting;
 * and the checkpoint layout of the tfjs learners (`<net>/params`, `<net>/adam_m`, `<net>/adam_v`,
 * `<net>/target`, scalar `<net>/adam_step`), so existing checkpoints and tests carry over.
 */
import { TetherError } from "../../core/errors.js";
import { gradients } from "../../tensor/autodiff.js";
import { Graph, type Value } from "../../tensor/graph.js";
import { adamInputs, adamScalars, adamUpdate, polyakUpdate, type AdamConfig } from "../../tensor/optim.js";
import { Program, type StateVar } from "../../tensor/program.js";
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
}

/** A group as the algorithm's graph sees it. */
export interface GroupValues {
  params: Value[];
  target: Value[];
  layers(net: number, which?: "params" | "target"): LayerValues[];
}

export interface UpdateGraph {
  metrics: Record<string, Value>;
  /** Each optimized group's loss: its gradient w.r.t. that group's parameters drives its Adam step. */
  losses: Record<string, Value>;
  /** Groups whose target moves toward the updated parameters by τ after the step. */
  polyak?: Record<string, number>;
}

export type BuildUpdate = (g: Graph, groups: Record<string, GroupValues>, batchSize: number) => UpdateGraph;

const TARGET = "_target";
const ADAM_M = "_adam_m";
const ADAM_V = "_adam_v";

export class GraphTrainer {
  private readonly configs = new Map<string, GroupConfig>();
  private readonly steps = new Map<string, number>();
  private program: Program | undefined;
  private programBatch = 0;
  private readonly forwards = new Map<string, Program>();
  /** State before the first Program exists (and between recompiles). */
  private pending: Record<string, Float32Array> = {};
  private optimizedInLastBuild: string[] = [];

  constructor(
    readonly name: string,
    groups: GroupConfig[],
    private readonly build: BuildUpdate,
  ) {
    for (const c of groups) {
      const n = c.group.name;
      this.configs.set(n, c);
      Object.assign(this.pending, c.group.split(c.init));
      if (c.target) Object.assign(this.pending, c.group.split(c.init, n + TARGET));
      if (c.adam) {
        const zeros = new Float32Array(c.group.size);
        Object.assign(this.pending, c.group.split(zeros, n + ADAM_M), c.group.split(zeros, n + ADAM_V));
        this.steps.set(n, 0);
      }
    }
  }

  private declare(g: Graph, asState: boolean, state: StateVar[]): Record<string, GroupValues> {
    const out: Record<string, GroupValues> = {};
    for (const [n, c] of this.configs) {
      const params = c.group.declare(g, n);
      const target = c.target ? c.group.declare(g, n + TARGET) : [];
      if (asState) {
        params.forEach((v) => state.push({ name: v.name, input: v }));
        target.forEach((v) => state.push({ name: v.name, input: v }));
      }
      out[n] = {
        params,
        target,
        layers: (net, which = "params") => c.group.layers(which === "params" ? params : target, net),
      };
    }
    return out;
  }

  private compile(batchSize: number): Program {
    const init = this.program ? this.snapshot() : this.pending;
    this.program?.dispose();
    const g = new Graph(`${this.name}_update_b${batchSize}`);
    const state: StateVar[] = [];
    const groups = this.declare(g, true, state);
    const byName = new Map(state.map((s) => [s.name, s]));
    const update = this.build(g, groups, batchSize);
    const newParams = new Map<string, Value[]>();
    for (const [n, loss] of Object.entries(update.losses)) {
      const c = this.configs.get(n);
      if (!c?.adam) throw new TetherError("LEARNER", `${this.name}: group ${n} has a loss but no optimizer`);
      const params = groups[n].params;
      const grads = gradients(g, loss, params);
      const moments = (suffix: string): Value[] =>
        c.group.declare(g, n + suffix).map((v) => {
          state.push({ name: v.name, input: v });
          return v;
        });
      const [ms, vs] = [moments(ADAM_M), moments(ADAM_V)];
      const inputs = adamInputs(g, n);
      const next = params.map((p, i) =>
        adamUpdate(g, { param: p, m: ms[i], v: vs[i] }, grads[i], inputs, c.adam as AdamConfig),
      );
      next.forEach((u, i) => {
        (byName.get(params[i].name) as StateVar).next = u.param;
        state[state.length - 2 * params.length + i].next = u.m;
        state[state.length - params.length + i].next = u.v;
      });
      newParams.set(
        n,
        next.map((u) => u.param),
      );
    }
    for (const [n, tau] of Object.entries(update.polyak ?? {})) {
      const source = newParams.get(n) ?? groups[n].params;
      groups[n].target.forEach(
        (t, i) => ((byName.get(t.name) as StateVar).next = polyakUpdate(g, t, source[i], tau)),
      );
    }
    // Moments of groups without a loss in this program stay as they are, outside the program.
    const kept: Record<string, Float32Array> = {};
    const stateNames = new Set(state.map((s) => s.name));
    for (const [k, v] of Object.entries(init)) if (!stateNames.has(k)) kept[k] = v;
    this.pending = kept;
    this.optimizedInLastBuild = Object.keys(update.losses);
    this.program = new Program({ graph: g, state, outputs: update.metrics }, init);
    this.programBatch = batchSize;
    return this.program;
  }

  /** One update on a batch of `batchSize` rows: `feeds` are the algorithm's batch inputs. */
  update(feeds: Record<string, Float32Array>, batchSize: number): Metrics {
    const program = this.program && this.programBatch === batchSize ? this.program : this.compile(batchSize);
    const all: Record<string, Float32Array> = { ...feeds };
    for (const n of this.optimizedInLastBuild) {
      const c = this.configs.get(n) as GroupConfig;
      const t = (this.steps.get(n) ?? 0) + 1;
      const { stepSize, epsHat } = adamScalars(c.adam as AdamConfig, t);
      all[`${n}/step_size`] = Float32Array.of(stepSize);
      all[`${n}/eps_hat`] = Float32Array.of(epsHat);
    }
    const out = program.run(all);
    for (const n of this.optimizedInLastBuild) this.steps.set(n, (this.steps.get(n) ?? 0) + 1);
    const metrics: Metrics = {};
    for (const [k, v] of Object.entries(out)) metrics[k] = v[0];
    return metrics;
  }

  /**
   * A forward pass for `n` rows on the current parameters (acting, evaluation): built once per (key, n),
   * fed the parameters without copying them.
   */
  forward(
    key: string,
    n: number,
    build: (g: Graph, groups: Record<string, GroupValues>) => Value,
    feeds: Record<string, Float32Array>,
  ): Float32Array {
    const id = `${key}/${n}`;
    let program = this.forwards.get(id);
    if (!program) {
      const g = new Graph(`${this.name}_${key}_n${n}`);
      const groups = this.declare(g, false, []);
      program = new Program({ graph: g, state: [], outputs: { out: build(g, groups) } }, {});
      this.forwards.set(id, program);
    }
    const all: Record<string, Float32Array> = { ...feeds };
    for (const [name, c] of this.configs) {
      for (const s of c.group.names(name)) all[s] = this.view(s);
      if (c.target) for (const s of c.group.names(name + TARGET)) all[s] = this.view(s);
    }
    return (program.run(all).out as Float32Array).slice();
  }

  private view(name: string): Float32Array {
    return (this.pending[name] ?? this.program?.view(name)) as Float32Array;
  }

  private snapshot(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = { ...this.pending };
    for (const name of this.program?.stateNames() ?? []) out[name] = this.program?.read(name) as Float32Array;
    return out;
  }

  /** Flat parameters of a group (or its target / Adam moments). */
  read(group: string, which: "params" | "target" | "adam_m" | "adam_v" = "params"): Float32Array {
    const c = this.group(group);
    const prefix =
      which === "params"
        ? group
        : which === "target"
          ? group + TARGET
          : which === "adam_m"
            ? group + ADAM_M
            : group + ADAM_V;
    return c.group.join((name) => this.view(name), prefix);
  }

  write(group: string, which: "params" | "target" | "adam_m" | "adam_v", flat: Float32Array): void {
    const c = this.group(group);
    const prefix =
      which === "params"
        ? group
        : which === "target"
          ? group + TARGET
          : which === "adam_m"
            ? group + ADAM_M
            : group + ADAM_V;
    for (const [name, values] of Object.entries(c.group.split(flat, prefix))) {
      if (this.pending[name]) this.pending[name] = values;
      else this.program?.write(name, values);
    }
  }

  adamStep(group: string): number {
    return this.steps.get(group) ?? 0;
  }

  private group(name: string): GroupConfig {
    const c = this.configs.get(name);
    if (!c) throw new TetherError("LEARNER", `${this.name} has no network ${name}`);
    return c;
  }

  /** Checkpoint arrays in the tfjs learners' layout. */
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
    const writes: [string, "params" | "target" | "adam_m" | "adam_v", Float32Array][] = [];
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
    this.program?.dispose();
    for (const p of this.forwards.values()) p.dispose();
    this.forwards.clear();
  }
}
