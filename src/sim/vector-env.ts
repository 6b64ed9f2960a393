/**
 * VectorEnv: N MujocoEnvs spread over worker threads, stepped as one batch (async). Rows are env order;
 * observations are N × obsDim, signals N × signalDim. With `autoReset`, an env whose episode ended is reset
 * (from its own seed stream) and `finalObservations` keeps the observation that ended the episode.
 * For whole-episode data collection, `collectEpisodes` (re-exported here) is faster: one message per episode.
 */
import { ShapeMismatchError, NonFiniteError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { loadRobot, type LoadedRobot } from "../robot/load.js";
import { defaultWorkers } from "./collect.js";
import { startWorkers, type SimWorker } from "./worker-pool.js";
import type { BatchState, BatchStep, WorkerResponse } from "./worker-protocol.js";

export { collectEpisodes, episodeJobs, type BehaviorSpec, type CollectOptions } from "./collect.js";
export type { CollectedEpisode, ControllerModuleSpec, EpisodeJob } from "./episode-runner.js";
export type { BatchState, BatchStep } from "./worker-protocol.js";

export interface VectorEnvOptions {
  robot: string | LoadedRobot;
  numEnvs: number;
  /** Worker threads (default min(2, cores), at most numEnvs). */
  workers?: number;
  /** Env i gets the i-th seed drawn from this seed (default 0). */
  seed?: number;
  /** Reset finished envs inside step() (default false). */
  autoReset?: boolean;
}

export class VectorEnv {
  readonly robot: LoadedRobot;
  readonly numEnvs: number;
  readonly obsDim: number;
  readonly actDim: number;
  readonly signalDim: number;
  /** Reset finished envs inside step() (may be changed between steps). */
  autoReset: boolean;
  private closed = false;

  private constructor(
    robot: LoadedRobot,
    private readonly workers: SimWorker[],
    /** [start, end) env rows per worker. */
    private readonly slices: [number, number][],
    dims: { obsDim: number; actDim: number; sigDim: number },
    autoReset: boolean,
  ) {
    this.robot = robot;
    this.numEnvs = slices[slices.length - 1][1];
    this.obsDim = dims.obsDim;
    this.actDim = dims.actDim;
    this.signalDim = dims.sigDim;
    this.autoReset = autoReset;
  }

  static async create(options: VectorEnvOptions): Promise<VectorEnv> {
    const robot = typeof options.robot === "string" ? loadRobot(options.robot) : options.robot;
    const n = options.numEnvs;
    if (!Number.isInteger(n) || n < 1)
      throw new ShapeMismatchError("VectorEnv numEnvs", "an integer >= 1", n);
    const w = Math.max(1, Math.min(options.workers ?? defaultWorkers(), n));
    const rng = new Rng(options.seed ?? 0);
    const envSeeds = Array.from({ length: n }, () => rng.nextUint32());
    const slices: [number, number][] = [];
    for (let i = 0; i < w; i++) slices.push([Math.floor((i * n) / w), Math.floor(((i + 1) * n) / w)]);
    const workers = await startWorkers(slices.length);
    try {
      const ready = await Promise.all(
        workers.map((worker, i) =>
          worker.request({ type: "init", robotDir: robot.dir, envSeeds: envSeeds.slice(...slices[i]) }),
        ),
      );
      const first = ready[0] as Extract<WorkerResponse, { type: "ready" }>;
      return new VectorEnv(robot, workers, slices, first, options.autoReset ?? false);
    } catch (err) {
      await Promise.all(workers.map((x) => x.terminate()));
      throw err;
    }
  }

  /** Resets every env (seeds[i] for env i, or its own stream when omitted). Returns N × obsDim. */
  async reset(seeds?: readonly number[]): Promise<BatchState> {
    if (seeds && seeds.length !== this.numEnvs)
      throw new ShapeMismatchError("VectorEnv reset seeds", this.numEnvs, seeds.length);
    const parts = await Promise.all(
      this.workers.map((worker, i) => {
        const [a, b] = this.slices[i];
        const s = seeds ? seeds.slice(a, b) : new Array<null>(b - a).fill(null);
        return worker.request({ type: "reset", seeds: s }) as Promise<
          Extract<WorkerResponse, { type: "state" }>
        >;
      }),
    );
    return {
      observations: concat(
        Float32Array,
        parts.map((p) => p.observations),
        this.numEnvs * this.obsDim,
      ),
      signals: concat(
        Float64Array,
        parts.map((p) => p.signals),
        this.numEnvs * this.signalDim,
      ),
    };
  }

  /** Steps every env with its row of `actions` (N × actDim, normalized). Bad input leaves every env untouched. */
  async step(actions: ArrayLike<number>): Promise<BatchStep> {
    const expected = this.numEnvs * this.actDim;
    if (actions.length !== expected)
      throw new ShapeMismatchError("VectorEnv actions (numEnvs × actDim)", expected, actions.length);
    for (let i = 0; i < expected; i++)
      if (!Number.isFinite(actions[i])) throw new NonFiniteError("VectorEnv actions", i, actions[i]);
    const parts = await Promise.all(
      this.workers.map((worker, i) => {
        const [a, b] = this.slices[i];
        const rows = Float64Array.from(
          { length: (b - a) * this.actDim },
          (_, k) => actions[a * this.actDim + k],
        );
        return worker.request({ type: "step", actions: rows, autoReset: this.autoReset }, [
          rows.buffer,
        ]) as Promise<Extract<WorkerResponse, { type: "stepped" }>>;
      }),
    );
    const n = this.numEnvs;
    return {
      observations: concat(
        Float32Array,
        parts.map((p) => p.observations),
        n * this.obsDim,
      ),
      signals: concat(
        Float64Array,
        parts.map((p) => p.signals),
        n * this.signalDim,
      ),
      rewards: concat(
        Float64Array,
        parts.map((p) => p.rewards),
        n,
      ),
      terminated: concat(
        Uint8Array,
        parts.map((p) => p.terminated),
        n,
      ),
      truncated: concat(
        Uint8Array,
        parts.map((p) => p.truncated),
        n,
      ),
      finalObservations: concat(
        Float32Array,
        parts.map((p) => p.finalObservations),
        n * this.obsDim,
      ),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

type TypedArrayCtor<T> = { new (n: number): T };

function concat<T extends Float32Array | Float64Array | Uint8Array>(
  ctor: TypedArrayCtor<T>,
  parts: T[],
  total: number,
): T {
  if (parts.length === 1) return parts[0];
  const out = new ctor(total);
  let offset = 0;
  for (const p of parts) {
    (out as Float64Array).set(p as unknown as Float64Array, offset);
    offset += p.length;
  }
  return out;
}
