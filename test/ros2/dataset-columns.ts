/**
 * A dataset's content as plain arrays (counts, behavior, every transition column), to compare two datasets;
 * `fromEpisode` keeps only the transitions of that episode and later ones.
 */
import { loadTransitions, openDataset } from "../../src/data/dataset-reader.js";

export function datasetColumns(dir: string, fromEpisode = 0) {
  const ds = openDataset(dir);
  const c = loadTransitions(ds);
  const keep = Array.from(c.episodes, (e) => e >= fromEpisode);
  const rows = (xs: ArrayLike<number>, width: number): number[] =>
    Array.from(xs).filter((_, i) => keep[Math.floor(i / width)]);
  return {
    // Not counts.bytes: how steps fall into chunks depends on flush timing.
    episodes_count: ds.manifest.counts.episodes,
    transitions: ds.manifest.counts.transitions,
    lengths: ds.manifest.episodes.lengths,
    behavior: ds.manifest.behavior,
    observations: rows(c.observations, c.obsDim),
    actions: rows(c.actions, c.actDim),
    rewards: rows(c.rewards, 1),
    nextObservations: rows(c.nextObservations, c.obsDim),
    terminals: rows(c.terminals, 1),
    timeouts: rows(c.timeouts, 1),
    episodes: rows(c.episodes, 1),
  };
}
