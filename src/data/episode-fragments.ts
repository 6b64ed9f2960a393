/**
 * Episode fragments back into episodes (format version 2, see src/msgs/tether.proto): checks that records
 * follow each other as the writer wrote them and joins the fragments of one episode. A whole episode is
 * the one-fragment case. Used by every reading path (readEpisodes, loadTransitions, recovery).
 */
import { DatasetFormatError } from "../core/errors.js";
import type { EpisodeRecord } from "./proto.js";

/** What the sequence check reads of a record, and where it is. */
export interface FragmentHead {
  index: number;
  steps: number;
  firstStep: number;
  continues: boolean;
  file: string;
  offset: number;
}

export interface TrailingEpisode {
  /** Position of the episode in writer order. */
  ordinal: number;
  steps: number;
}

/** Checks the order of fragment records and numbers episodes in writer order. */
export class FragmentSequence {
  private episodes = 0;
  private open: { index: number; ordinal: number; steps: number } | undefined;

  /** Accepts the next record; returns the ordinal (writer order) of the episode it belongs to. */
  add(part: FragmentHead): number {
    const open = this.open;
    if (open && (part.index !== open.index || part.firstStep !== open.steps)) {
      throw new DatasetFormatError(
        part.file,
        part.offset,
        `episode ${open.index} is unfinished at step ${open.steps}, but this record is episode ${part.index} from step ${part.firstStep} (a fragment is missing)`,
      );
    }
    if (!open && part.firstStep !== 0) {
      throw new DatasetFormatError(
        part.file,
        part.offset,
        `fragment of episode ${part.index} starts at step ${part.firstStep} with no earlier fragment`,
      );
    }
    const current = open ?? { index: part.index, ordinal: this.episodes++, steps: 0 };
    current.steps += part.steps;
    this.open = part.continues ? current : undefined;
    return current.ordinal;
  }

  /** After the last record: the episode whose writer died before its last fragment, if any. */
  trailing(): TrailingEpisode | undefined {
    return this.open && { ordinal: this.open.ordinal, steps: this.open.steps };
  }
}

/**
 * One episode from its fragments (in order). A truncated episode (no last fragment) ends with a timeout
 * on its last step, not a terminal: the recording stopped, the robot did not reach a failure state, so a
 * learner must still bootstrap from the last next-observation (a terminal would tell the critic that
 * state has no future).
 */
export function joinFragments(parts: EpisodeRecord[], truncated: boolean): EpisodeRecord {
  if (parts.length === 1 && !truncated) return parts[0];
  const last = parts[parts.length - 1];
  const T = parts.reduce((n, p) => n + p.steps, 0);
  const obsDim = last.observations.length / (last.steps + 1);
  const actDim = T === 0 ? 0 : parts.reduce((n, p) => n + p.actions.length, 0) / T;
  const timestamped = parts.every((p) => p.timestamps.length > 0);
  const ep: EpisodeRecord = {
    ...last,
    index: parts[0].index,
    steps: T,
    observations: new Float32Array((T + 1) * obsDim),
    actions: new Float32Array(T * actDim),
    actionsNormalized: new Float32Array(T * actDim),
    rewards: new Float32Array(T),
    terminals: new Uint8Array(T),
    timeouts: new Uint8Array(T),
    timestamps: new Float64Array(timestamped ? T + 1 : 0),
    firstStep: 0,
    continues: false,
  };
  for (const p of parts) {
    const t = p.firstStep;
    // Each fragment's closing row is the next fragment's first row: take rows [0, steps) of each.
    ep.observations.set(p.observations.subarray(0, p.steps * obsDim), t * obsDim);
    ep.actions.set(p.actions, t * actDim);
    ep.actionsNormalized.set(p.actionsNormalized, t * actDim);
    ep.rewards.set(p.rewards, t);
    ep.terminals.set(p.terminals, t);
    ep.timeouts.set(p.timeouts, t);
    if (timestamped) ep.timestamps.set(p.timestamps.subarray(0, p.steps), t);
  }
  ep.observations.set(last.observations.subarray(last.steps * obsDim), T * obsDim);
  if (timestamped) ep.timestamps[T] = last.timestamps[last.steps];
  if (truncated && T > 0) ep.timeouts[T - 1] = 1;
  return ep;
}
