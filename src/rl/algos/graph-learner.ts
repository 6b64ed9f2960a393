/** What every MLP-actor learner on a GraphTrainer does the same way: acting, its state dict, the actor export. */
import type { ActorWeights } from "../networks/weights-format.js";
import type { GraphActor } from "./graph-nets.js";
import type { GraphTrainer } from "./graph-trainer.js";
import type { AlgoName, LearnerDims, StateDict } from "./learner.js";

/**
 * The state dict holds the trainer's arrays and `step`; a learner with more state (a noise stream, a
 * temperature) extends stateDict/loadStateDict with it, so its own file still shows what it saves.
 */
export abstract class GraphLearner {
  abstract readonly algo: AlgoName;
  abstract readonly dims: Required<LearnerDims>;
  abstract readonly actor: GraphActor;
  protected abstract readonly trainer: GraphTrainer;
  step = 0;

  act(observations: Float32Array): Float32Array {
    return this.actor.act(this.trainer, observations, this.dims);
  }

  stateDict(): StateDict {
    const state: StateDict = { algo: this.algo, step: this.step, arrays: {}, scalars: {} };
    this.trainer.save(state);
    return state;
  }

  loadStateDict(state: StateDict): void {
    this.trainer.load(state);
    this.step = state.step;
  }

  actorWeights(): ActorWeights {
    return this.actor.export(this.trainer, this.dims);
  }

  dispose(): void {
    this.trainer.dispose();
  }
}
