/**
 * The draw-order contract of the shared twin-Q + actor construction (graph-nets.ts): every critic learner's
 * initial weights are the twin Q from the first fork of its seed's stream and the actor from the next fork
 * (IQL: V between them), as the earlier tfjs learners drew them, so seeds and checkpoints carry over.
 * Each learner is checked against the pieces built by hand from the same seed, not against stored numbers.
 */
import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import { GraphActor, twinQInit, twinQSpecs, type ActorConfig } from "../../../src/rl/algos/graph-nets.js";
import type { AlgoName } from "../../../src/rl/algos/learner.js";
import { createLearner } from "../../../src/rl/algos/registry.js";
import { ParamGroup } from "../../../src/rl/networks/graph-mlp.js";

const DIMS = { obsDim: 3, actDim: 2 };
const HIDDEN = [8, 8];

const CASES: {
  algo: AlgoName;
  extra: Record<string, unknown>;
  actor: Omit<ActorConfig, "hidden">;
  /** Forks drawn between the twin Q and the actor (IQL's V). */
  between: number;
}[] = [
  { algo: "td3bc", extra: {}, actor: { actor: "deterministic", logStd: "state" }, between: 0 },
  { algo: "rebrac", extra: {}, actor: { actor: "deterministic", logStd: "state" }, between: 0 },
  { algo: "cql", extra: {}, actor: { actor: "gaussian", logStd: "state" }, between: 0 },
  { algo: "calql", extra: {}, actor: { actor: "gaussian", logStd: "state" }, between: 0 },
  { algo: "awac", extra: {}, actor: { actor: "deterministic", logStd: "state" }, between: 0 },
  {
    algo: "awac",
    extra: { actor: "gaussian", logStd: "free" },
    actor: { actor: "gaussian", logStd: "free" },
    between: 0,
  },
  { algo: "iql", extra: {}, actor: { actor: "deterministic", logStd: "state" }, between: 1 },
];

describe("twin Q + actor construction", () => {
  for (const c of CASES) {
    for (const layerNorm of [false, true]) {
      it(`${c.algo} ${JSON.stringify(c.extra)}${layerNorm ? " (LayerNorm critics)" : ""}: twin Q, then the actor, from the seed's forks`, () => {
        // ReBRAC's default critics have LayerNorm: say it both ways explicitly.
        const config = { hidden: HIDDEN, criticLayerNorm: layerNorm, ...c.extra };
        const learner = createLearner(c.algo, config, DIMS, new Rng(5));
        const state = learner.stateDict();
        learner.dispose();

        const rng = new Rng(5);
        const q = new ParamGroup("q", twinQSpecs(DIMS.obsDim, DIMS.actDim, HIDDEN, layerNorm));
        const qInit = twinQInit(q, rng.fork());
        for (let i = 0; i < c.between; i++) rng.fork();
        const actorInit = new GraphActor({ ...c.actor, hidden: HIDDEN }, DIMS.obsDim, DIMS.actDim).init(
          rng.fork(),
        );

        expect(state.arrays["q/params"]).toEqual(qInit);
        expect(state.arrays["q/target"]).toEqual(qInit);
        expect(state.arrays["actor/params"]).toEqual(actorInit);
        // Distinct forks: the actor's draws are not the critics' restarted.
        expect(Array.from(actorInit.slice(0, 8))).not.toEqual(Array.from(qInit.slice(0, 8)));
      });
    }
  }
});
