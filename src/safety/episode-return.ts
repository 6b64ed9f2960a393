/**
 * The return of the episode a controller is in, for the return-collapse monitor, with each step scored as
 * MujocoEnv and the datasets score it (episode-segmenter.ts): the reward expression over the state AFTER the
 * step, whose action block holds the step's command. A command's reward is therefore known one tick later,
 * from the signals that tick sees (the state then, the command last sent), as the decision transformer's
 * controller takes it too (package-controller.ts).
 *
 * At an episode's end the last command's step counts only if a newer state arrived after it: a command
 * answering the final state is never applied (the sim robot resets instead, and a recorder closes the
 * episode at that state), so it is no step of the episode.
 */
import type { TaskFunctions } from "../robot/task-functions.js";

export class EpisodeReturn {
  private sum = 0;
  /** A command was sent whose step has not been scored yet. */
  private pending = false;
  /** The state that command answered (any id that changes with each new state: a count, a seqlock value). */
  private pendingState = 0;

  constructor(private readonly task: Pick<TaskFunctions, "reward">) {}

  /**
   * At a tick, before it sends anything: scores the last command's step from `signals` (the state now, with
   * the command last sent in the action block).
   */
  settle(signals: ArrayLike<number>): void {
    if (!this.pending) return;
    this.pending = false;
    this.sum += this.task.reward(signals);
  }

  /** A command went out this tick, answering the state `stateId`. */
  sent(stateId: number): void {
    this.pending = true;
    this.pendingState = stateId;
  }

  /**
   * The episode ended; `signals` is the latest state (command last sent in the action block) and `stateId`
   * its id. Returns the episode's return; the next episode starts at 0 with nothing pending.
   */
  end(signals: ArrayLike<number>, stateId: number): number {
    if (this.pending && stateId !== this.pendingState) this.sum += this.task.reward(signals);
    const ret = this.sum;
    this.sum = 0;
    this.pending = false;
    return ret;
  }
}
