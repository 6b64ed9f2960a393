/**
 * The memory the policy node's main thread and its real-time loop worker (loop-tick.ts) share, and the few
 * messages they exchange. Per tick only shared memory is touched (no allocation, no event-loop turn on the
 * loop thread); messages carry what is rare: events, run-log entries, resets, episode ends, faults.
 */
import type { ControlSource } from "../../safety/fallback.js";
import type { SafetyEvent } from "../../safety/events.js";
import type { RunLogEntry } from "../../safety/run-log.js";

/** Int32 slots of the control block. */
export const LOOP = {
  /** Seqlock of `state`: odd while the main thread writes it. */
  stateSeq: 0,
  /** 1 once the state and every latched task topic have arrived: the loop ticks from then on. */
  ready: 1,
  /** Bumped (and notified) by the loop for each command it leaves in `command`. */
  cmdSeq: 2,
  /** 1 while the e-stop latch is engaged in the loop. */
  estop: 3,
  /** Bumped by the main thread after each message it posts to the loop. */
  control: 4,
  ticks: 5,
  /** Ticks per control source, in SOURCES order (4 slots). */
  sources: 6,
  /** Ticks whose code threw in the loop (each latched the e-stop). */
  faults: 10,
} as const;
export const LOOP_SLOTS = 11;
export const SOURCES: readonly ControlSource[] = ["policy", "fallback", "hold", "estop"];

export interface PolicyLoopBuffers {
  ctrl: Int32Array;
  /** [stamp (epoch ms, the loop's clock), ...signals]. */
  state: Float64Array;
  /** The latest command, actuator units. */
  command: Float64Array;
}

export function createPolicyLoopBuffers(sigDim: number, actDim: number): PolicyLoopBuffers {
  return {
    ctrl: new Int32Array(new SharedArrayBuffer(4 * LOOP_SLOTS)),
    state: new Float64Array(new SharedArrayBuffer(8 * (1 + sigDim))),
    command: new Float64Array(new SharedArrayBuffer(8 * actDim)),
  };
}

export interface EStopState {
  engaged: boolean;
  cause: SafetyEvent | undefined;
  trips: number;
}

/** Loop -> main thread. */
export type LoopMessage =
  | { type: "tick"; events: SafetyEvent[]; estop: EStopState; estopChanged: boolean }
  | { type: "log"; entry: RunLogEntry }
  | { type: "fault"; event: SafetyEvent; estop: EStopState }
  | { type: "reset"; by: string; trips: number };

/**
 * Main thread -> loop (read with receiveMessageOnPort when LOOP.control moves). An episode mark carries the
 * latest state the main thread had when it came (its `stateSeq` and signals): the ending episode's last state,
 * which may be newer than the loop's last read and already overwritten in `state` by the next episode's first.
 */
export type ControlMessage =
  | { type: "reset"; by: string }
  | { type: "episode"; data: number; stateSeq: number; signals: Float64Array }
  | { type: "raise"; event: SafetyEvent };
