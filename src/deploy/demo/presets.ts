/** Budgets of `tether demo`: the default run (<= 10 min on a 2-core machine), `--quick` (~2 min), and a
 * tiny one for the smoke test. */
import { DEFAULT_GATES, type GatesConfig } from "../gates.js";

export interface DemoBudget {
  name: string;
  collectEpisodes: number;
  iqlSteps: number;
  bcSteps: number;
  hidden: number[];
  batchSize: number;
  evalEvery: number;
  evalEpisodes: number;
  fqeSteps: number;
  stageEpisodes: number;
  finetuneSteps: number;
  canaryFraction: number;
}

export const DEMO_PRESETS: Record<"default" | "quick" | "tiny", DemoBudget> = {
  default: {
    name: "default",
    collectEpisodes: 100,
    iqlSteps: 20_000,
    bcSteps: 5000,
    hidden: [128, 128],
    batchSize: 256,
    evalEvery: 5000,
    evalEpisodes: 5,
    fqeSteps: 3000,
    stageEpisodes: 20,
    finetuneSteps: 5000,
    canaryFraction: 0.5,
  },
  quick: {
    name: "quick",
    collectEpisodes: 30,
    iqlSteps: 5000,
    bcSteps: 2000,
    hidden: [128, 128],
    batchSize: 256,
    evalEvery: 2500,
    evalEpisodes: 3,
    fqeSteps: 1000,
    stageEpisodes: 10,
    finetuneSteps: 1000,
    canaryFraction: 0.5,
  },
  tiny: {
    name: "tiny",
    collectEpisodes: 3,
    iqlSteps: 40,
    bcSteps: 20,
    hidden: [16, 16],
    batchSize: 32,
    evalEvery: 0,
    evalEpisodes: 2,
    fqeSteps: 20,
    stageEpisodes: 2,
    finetuneSteps: 50,
    canaryFraction: 0.5,
  },
};

/**
 * The demo's gates: the built-in gates, except the offline support-gap bound, which is widened from 0.5 to
 * 0.75 because the demo trains on the *medium* (noisy) behavior: the distance from any deterministic policy
 * to the noisy logged actions has a floor set by that noise (BC itself measures ~0.41 on pendulum-medium).
 * Pass `--gates` to use others.
 */
export const DEMO_GATES: GatesConfig = {
  ...DEFAULT_GATES,
  "offline-eval": {
    ...DEFAULT_GATES["offline-eval"],
    max_estops: 0,
    agreement_tolerance: 0.25,
    max_support_gap: 0.75,
  },
};
