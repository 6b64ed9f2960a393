/**
 * BC — behaviour cloning: a deterministic tanh actor regressed onto dataset actions (mean squared error).
 * The baseline every offline RL result is compared with (as d3rlpy's BC and CORL's any_percent_bc).
 * Written as a forward loss on the engine (src/tensor).
 *
 * Metrics: loss/actor (MSE per action dimension).
 */
import type { Rng } from "../../core/rng.js";
import type { Graph } from "../../tensor/graph.js";
import { ADAM_DEFAULTS } from "../../tensor/optim.js";
import { checkBatch } from "./graph-batch.js";
import { GraphLearner } from "./graph-learner.js";
import { GraphActor, normalizedObs } from "./graph-nets.js";
import { GraphTrainer, type GroupValues, type Optimize, type UpdateGraph } from "./graph-trainer.js";
import {
  completeDims,
  NETWORK_DEFAULTS,
  type Batch,
  type Learner,
  type LearnerDims,
  type Metrics,
  type NetworkConfig,
} from "./learner.js";

/** BC has one network, the actor: its widths and learning rate. */
export type BcConfig = NetworkConfig;

export const BC_DEFAULTS: BcConfig = { ...NETWORK_DEFAULTS };

export class BcLearner extends GraphLearner implements Learner {
  readonly algo = "bc" as const;
  readonly dims: Required<LearnerDims>;
  readonly actor: GraphActor;
  protected readonly trainer: GraphTrainer;

  constructor(
    readonly config: BcConfig,
    dims: LearnerDims,
    rng: Rng,
  ) {
    super();
    this.dims = completeDims(dims);
    this.actor = new GraphActor(
      { actor: "deterministic", logStd: "state", hidden: config.hidden },
      this.dims.obsDim,
      this.dims.actDim,
    );
    this.trainer = new GraphTrainer(
      "bc",
      [
        {
          group: this.actor.group,
          init: this.actor.init(rng.fork()),
          adam: { ...ADAM_DEFAULTS, lr: config.lr },
        },
      ],
      (g, nets, n, optimize) => this.buildUpdate(g, nets, n, optimize),
    );
  }

  /** L = mean((π(s) - a)²) over batch and action dimensions. */
  private buildUpdate(
    g: Graph,
    nets: Record<string, GroupValues>,
    n: number,
    optimize: Optimize,
  ): UpdateGraph {
    const obs = normalizedObs(g, g.input("observations", [n, this.dims.obsDim]), this.dims);
    const act = g.input("actions", [n, this.dims.actDim]);
    const actor = nets[this.actor.group.name];
    const loss = g.mean(g.square(g.sub(this.actor.action(g, actor, obs), act)));
    optimize(this.actor.group.name, loss);
    return { metrics: { "loss/actor": loss } };
  }

  update(batch: Batch): Metrics {
    checkBatch(batch, this.dims);
    const metrics = this.trainer.update(
      { observations: batch.observations, actions: batch.actions },
      batch.size,
    );
    this.step += 1;
    return metrics;
  }
}

export function create(config: Partial<BcConfig>, dims: LearnerDims, rng: Rng): BcLearner {
  return new BcLearner({ ...BC_DEFAULTS, ...config }, dims, rng);
}
