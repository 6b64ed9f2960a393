/** A dataset's content as plain arrays (counts, behavior, every transition column), to compare two datasets. */
import { loadTransitions, openDataset } from "../../src/data/dataset-reader.js";

export function datasetColumns(dir: string) {
  const ds = openDataset(dir);
  const c = loadTransitions(ds);
  return {
    // Not counts.bytes: how steps fall into chunks depends on flush timing.
    episodes_count: ds.manifest.counts.episodes,
    transitions: ds.manifest.counts.transitions,
    lengths: ds.manifest.episodes.lengths,
    behavior: ds.manifest.behavior,
    observations: Array.from(c.observations),
    actions: Array.from(c.actions),
    rewards: Array.from(c.rewards),
    nextObservations: Array.from(c.nextObservations),
    terminals: Array.from(c.terminals),
    timeouts: Array.from(c.timeouts),
    episodes: Array.from(c.episodes),
  };
}
