/**
 * The bandit demo's small MLPs on the training engine: one network is fitted by Adam on a forward loss
 * that may read other, already fitted networks (frozen state), and fitted networks are evaluated row-wise.
 * Hidden layers are ReLU, optionally each followed by a LayerNorm (ReBRAC's critic); the output is linear or
 * tanh. Initialization is PyTorch's nn.Linear default (layer norms: gain 1, bias 0).
 */
import type { Rng } from "../../core/rng.js";
import type { Graph, Value } from "../../tensor/graph.js";
import { ADAM_DEFAULTS } from "../../tensor/optim.js";
import { layerNormSpecs, resetLayerNorms } from "../algos/graph-nets.js";
import { GraphTrainer, type GroupConfig, type GroupValues } from "../algos/graph-trainer.js";
import { mlpGraph, ParamGroup } from "../networks/graph-mlp.js";
import { initParams, type MlpSpec } from "../networks/mlp-spec.js";

export interface BanditNet {
  spec: MlpSpec;
  /** A LayerNorm after every hidden layer's ReLU. */
  layerNorm: boolean;
  /** Flat parameters (mlp-spec.ts layout): the MLP, then with `layerNorm` each norm's gain and bias. */
  values: Float32Array;
}

export function makeNet(rng: Rng, sizes: number[], output: "linear" | "tanh", layerNorm = false): BanditNet {
  const spec: MlpSpec = { sizes, hidden: "relu", output };
  const group = paramGroup("init", { spec, layerNorm });
  const values = initParams(group.specs, rng);
  resetLayerNorms(group, values, 1);
  return { spec, layerNorm, values };
}

/** The network's parameter group: the MLP, then one [1, width] gain/bias "layer" per layer norm. */
function paramGroup(name: string, net: Pick<BanditNet, "spec" | "layerNorm">): ParamGroup {
  const norms = net.layerNorm ? layerNormSpecs(net.spec.sizes.slice(1, -1)) : [];
  return new ParamGroup(name, [net.spec, ...norms]);
}

/** The forward pass of the network held in `values` (its group's graph values). */
function applyNet(g: Graph, group: ParamGroup, values: GroupValues, x: Value): Value {
  // Specs after the MLP are its layer norms, one per hidden layer (paramGroup).
  const count = group.specs.length - 1;
  const norms = count > 0 ? Array.from({ length: count }, (_, l) => values.layers(1 + l)[0]) : undefined;
  return mlpGraph(g, group.specs[0], values.layers(0), x, norms);
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
      apply[n] = (x) => applyNet(g, c.group, nets[n], x);
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
      group: paramGroup(SELF, fit.net),
      init: fit.net.values,
      // tf.train.adam's epsilon (1e-7), which the demo's published figures were made with.
      adam: { ...ADAM_DEFAULTS, lr: fit.lr, eps: 1e-7 },
    },
    ...Object.entries(fit.frozen).map(([n, net]) => ({
      group: paramGroup(n, net),
      init: net.values,
    })),
  ];
  const t = trainer(name, groups, fit);
  try {
    for (let step = 0; step < steps; step++) {
      t.update(feed(step), 0);
      onStep?.(step);
    }
    return { ...fit.net, values: t.read(SELF) };
  } finally {
    t.dispose();
  }
}

/** The network's outputs on `x` ([n, inDim] row-major). */
export function evalNet(net: BanditNet, x: Float32Array): Float32Array {
  const inDim = net.spec.sizes[0];
  const n = x.length / inDim;
  const group = paramGroup(SELF, net);
  const t = trainer("bandit_eval", [{ group, init: net.values }]);
  try {
    return t.forward("eval", n, (g, nets) => applyNet(g, group, nets[SELF], g.input("x", [n, inDim])), {
      x,
    });
  } finally {
    t.dispose();
  }
}
