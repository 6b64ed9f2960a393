/**
 * The fallback chain, best first: policy -> fallback controller (BC policy or the behavior controller)
 * -> hold the last safe command -> zero effort (e-stop). `Controller` is what the policy and the fallback
 * controller implement; actions are normalized [-1, 1].
 */
import { TetherError } from "../core/errors.js";
export type ControlSource = "policy" | "fallback" | "hold" | "estop";

/** Thrown by a controller that stopped waiting for its own output (e.g. a policy in a worker thread). */
export class PolicyTimeoutError extends TetherError {
  constructor(message: string) {
    super("POLICY_TIMEOUT", message);
  }
}

export interface Controller {
  /** Writes a normalized action for this observation (and full signal vector) into `out`. May throw. */
  act(obs: Float32Array, signals: Float64Array, out: Float64Array): void;
  /**
   * Optional, for a controller that computes elsewhere (a worker thread): starts on this observation now,
   * and the next `act` (same tick, same arrays) only collects the answer, so the caller's own checks run
   * meanwhile instead of waiting. Must not throw; a failure to start shows in that `act`.
   */
  begin?(obs: Float32Array, signals: Float64Array): void;
  /** A new episode begins (a policy with memory, such as a decision transformer's context, clears it). */
  reset?(): void;
  /**
   * Optional, for a policy with memory (a decision transformer's context): this tick another controller
   * acts (the fallback, a canary's mix, the e-stop), and the policy takes the step into its memory without
   * acting, as it would have on its own tick. May throw (the caller reports it, as a throw from `act`).
   */
  observe?(obs: Float32Array, signals: Float64Array): void;
  /**
   * Optional, for a policy with memory: the episode ended after the last command; `signals` is the state
   * after it (its action block the applied command), whose outcome the policy records as the next tick would.
   */
  finish?(signals: Float64Array): void;
}

/** Adapts a PolicyRunner-like `act(obs, out)` to a Controller. */
export function controllerFromRunner(runner: {
  act(obs: ArrayLike<number>, out: Float64Array): void;
}): Controller {
  return { act: (obs, _signals, out) => runner.act(obs, out) };
}

/**
 * Runs a controller without letting it throw into the loop; returns false (and leaves `out` undefined
 * in meaning) when it threw or wrote a non-finite value.
 */
export function tryAct(
  controller: Controller,
  obs: Float32Array,
  signals: Float64Array,
  out: Float64Array,
): boolean {
  try {
    controller.act(obs, signals, out);
  } catch {
    return false;
  }
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i])) return false;
  return true;
}
