/**
 * The bandit demo's small MLPs on the training engine: one network is fitted by Adam on a forward loss
 * that may read other, already fitted networks (frozen state), and fitted networks are evaluated row-wise.
 * Hidden layers are ReLU; the output is linear or tanh. Initialization is PyTorch's nn.Linear default.
 */
import type { Rng } from "../../core/rng.js";
import type { Graph, Value } from "../../tensor/graph.js";
import { ADAM_DEFAULTS } from "../../tensor/optim.js";
import { GraphTrainer, type GroupConfig } from "../algos/graph-trainer.js";
import { mlpGraph, ParamGroup } from "../networks/graph-mlp.js";
import { initParams, type MlpSpec } from "../networks/mlp-spec.js";

export interface BanditNet {
  spec: MlpSpec;
  /** Flat parameters (mlp-spec.ts layout). */
  values: Float32Array;
}

export function makeNet(rng: Rng, sizes: number[], output: "linear" | "tanh"): BanditNet {
  const spec: MlpSpec = { sizes, hidden: "relu", output };
  return { spec, values: initParams([spec], rng) };
}

/** A network's forward pass inside a loss graph. */
export type Apply = (x: Value) => Value;

export interface FitSpec {
  /** The network to fit (its initial parameters). */
  net: BanditNet;
  lr: number;
  /** Fitted networks the loss reads; they do not change. */
  frozen: Record<string, BanditNet>;
  /** Batch inputs: name -> shape. */
  inputs: Record<string, number[]>;
  /** The loss on the batch; `nets.self` is the network being fitted. */
  loss: (g: Graph, nets: Record<string, Apply>, inputs: Record<string, Value>) => Value;
}

const SELF = "self";

function trainer(name: string, groups: GroupConfig[], fit?: FitSpec): GraphTrainer {
  return new GraphTrainer(name, groups, (g, nets, _n, optimize) => {
    if (!fit) throw new Error("unreachable: a forward-only bandit network has no update");
    const apply: Record<string, Apply> = {};
    for (const c of groups) {
      const n = c.group.name;
      apply[n] = (x) => mlpGraph(g, c.group.specs[0], nets[n].layers(0), x);
    }
    const inputs: Record<string, Value> = {};
    for (const [k, shape] of Object.entries(fit.inputs)) inputs[k] = g.input(k, shape);
    const loss = fit.loss(g, apply, inputs);
    optimize(SELF, loss);
    return { metrics: { loss } };
  });
}

/** Runs `steps` Adam updates, each on the batch `feed(step)` returns; the fitted network. */
export function fitNet(
  name: string,
  fit: FitSpec,
  steps: number,
  feed: (step: number) => Record<string, Float32Array>,
  onStep?: (step: number) => void,
): BanditNet {
  const groups: GroupConfig[] = [
    {
      group: new ParamGroup(SELF, [fit.net.spec]),
      init: fit.net.values,
      // tf.train.adam's epsilon (1e-7), which the demo's published figures were made with.
      adam: { ...ADAM_DEFAULTS, lr: fit.lr, eps: 1e-7 },
    },
    ...Object.entries(fit.frozen).map(([n, net]) => ({
      group: new ParamGroup(n, [net.spec]),
      init: net.values,
    })),
  ];
  const t = trainer(name, groups, fit);
  try {
    for (let step = 0; step < steps; step++) {
      t.update(feed(step), 0);
      onStep?.(step);
    }
    return { spec: fit.net.spec, values: t.read(SELF) };
  } finally {
    t.dispose();
  }
}

/** The network's outputs on `x` ([n, inDim] row-major). */
export function evalNet(net: BanditNet, x: Float32Array): Float32Array {
  const inDim = net.spec.sizes[0];
  const n = x.length / inDim;
  const t = trainer("bandit_eval", [{ group: new ParamGroup(SELF, [net.spec]), init: net.values }]);
  try {
    return t.forward(
      "eval",
      n,
      (g, nets) => mlpGraph(g, net.spec, nets[SELF].layers(0), g.input("x", [n, inDim])),
      { x },
    );
  } finally {
    t.dispose();
  }
}
