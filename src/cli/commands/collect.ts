import type { Command } from "commander";
import { ConfigError } from "../../core/errors.js";
import { parseIntOption, printJsonLine } from "../run.js";

/** D4RL-style dataset levels. */
export const DATASET_LEVELS = ["random", "medium", "expert", "medium-replay", "medium-expert"] as const;
export type DatasetLevel = (typeof DATASET_LEVELS)[number];

/** medium-replay: the data of a controller improving over time, quality ramping from 0 to this. */
export const MEDIUM_REPLAY_MAX_QUALITY = 0.5;

export interface CollectDatasetOptions {
  robot: string;
  level: DatasetLevel;
  episodes: number;
  out: string;
  seed?: number;
  workers?: number;
  flushIntervalMs?: number;
  onProgress?: (done: number, total: number, lastReturn: number) => void;
}

export interface CollectSummary {
  dataset: string;
  robot: string;
  level: DatasetLevel;
  episodes: number;
  transitions: number;
  mean_return: number;
  normalized_score: number | null;
  seconds: number;
  transitions_per_s: number;
  content_hash: string;
}

interface Part {
  label: string;
  behavior: import("../../sim/vector-env.js").BehaviorSpec;
  episodes: number;
  seed: number;
}

/** The behavior mix of each level; medium-expert is half medium then half expert (D4RL's concatenation). */
export function levelParts(level: DatasetLevel, episodes: number, seed: number): Part[] {
  switch (level) {
    case "random":
    case "medium":
    case "expert":
      return [{ label: level, behavior: level, episodes, seed }];
    case "medium-replay":
      return [
        { label: "medium-replay", behavior: { qualityRamp: [0, MEDIUM_REPLAY_MAX_QUALITY] }, episodes, seed },
      ];
    case "medium-expert": {
      const half = Math.floor(episodes / 2);
      return [
        { label: "medium", behavior: "medium", episodes: episodes - half, seed },
        { label: "expert", behavior: "expert", episodes: half, seed: seed + 1_000_003 },
      ];
    }
  }
}

/**
 * The fast in-process path: behavior episodes in the vector env's worker threads, written in episode order
 * through the dataset writer (observations, actuator-unit and normalized actions, rewards, ends, sim time).
 */
export async function collectDataset(options: CollectDatasetOptions): Promise<CollectSummary> {
  const started = performance.now();
  const [{ collectEpisodes }, { loadRobot }, { DatasetWriter, layoutFromSpec }, { scaleAction }] =
    await Promise.all([
      import("../../sim/vector-env.js"),
      import("../../robot/load.js"),
      import("../../data/dataset-writer.js"),
      import("../../robot/task-functions.js"),
    ]);
  const robot = loadRobot(options.robot);
  const spec = robot.spec;
  const seed = options.seed ?? 0;
  const writer = await DatasetWriter.create(options.out, {
    ...layoutFromSpec(spec),
    source: "collect",
    behavior: options.level,
    flushIntervalMs: options.flushIntervalMs,
  });
  const dt = 1 / spec.control.rate_hz;
  const { obsDim, actDim } = writer;
  let done = 0;
  try {
    for (const part of levelParts(options.level, options.episodes, seed)) {
      if (part.episodes === 0) continue;
      // Episodes arrive in completion order; write them in index order so datasets are reproducible.
      const waiting = new Map<number, import("../../sim/vector-env.js").CollectedEpisode>();
      let next = 0;
      const write = (e: import("../../sim/vector-env.js").CollectedEpisode): void => {
        const T = e.length;
        const observations = new Float32Array((T + 1) * obsDim);
        observations.set(e.observations, 0);
        observations.set(e.nextObservations.subarray((T - 1) * obsDim, T * obsDim), T * obsDim);
        const units = new Float32Array(T * actDim);
        const row = new Float64Array(actDim);
        for (let t = 0; t < T; t++) {
          scaleAction(spec, e.actions.subarray(t * actDim, (t + 1) * actDim), row);
          units.set(row, t * actDim);
        }
        writer.appendEpisode({
          observations,
          actions: units,
          actionsNormalized: e.actions,
          rewards: e.rewards,
          terminals: e.terminals,
          timeouts: e.timeouts,
          timestamps: Float64Array.from({ length: T + 1 }, (_, t) => t * dt),
          behavior: part.label,
          termination: e.termination,
          quality: e.quality,
          seed: e.envSeed,
        });
        done++;
        options.onProgress?.(done, options.episodes, e.returns);
      };
      await collectEpisodes({
        robot,
        behavior: part.behavior,
        episodes: part.episodes,
        seed: part.seed,
        workers: options.workers,
        onEpisode: (e) => {
          waiting.set(e.index, e);
          while (waiting.has(next)) {
            const ready = waiting.get(next)!;
            waiting.delete(next++);
            if (ready.length > 0) write(ready);
          }
        },
      });
    }
  } catch (err) {
    await writer.close(); // what was collected stays a valid dataset; the error still propagates
    throw err;
  }
  const manifest = await writer.close();
  const seconds = (performance.now() - started) / 1000;
  const rets = manifest.episodes.returns;
  const mean = rets.length ? rets.reduce((a, b) => a + b, 0) / rets.length : 0;
  const ref = spec.reference_returns;
  return {
    dataset: options.out,
    robot: spec.name,
    level: options.level,
    episodes: manifest.counts.episodes,
    transitions: manifest.counts.transitions,
    mean_return: mean,
    normalized_score: ref ? (100 * (mean - ref.random)) / (ref.expert - ref.random) : null,
    seconds,
    transitions_per_s: manifest.counts.transitions / seconds,
    content_hash: manifest.contentHash,
  };
}

interface CollectCliOptions {
  robot: string;
  level: string;
  episodes: number;
  out: string;
  seed: number;
  workers?: number;
  viaLaunch?: boolean;
  json?: boolean;
}

export function registerCollect(program: Command): void {
  program
    .command("collect")
    .description(
      "Collect a D4RL-style dataset (random|medium|expert|medium-replay|medium-expert) through the sim robot",
    )
    .requiredOption("--robot <name>", "robot name under robots/ or a robot folder")
    .requiredOption("--level <level>", `one of ${DATASET_LEVELS.join(", ")}`)
    .requiredOption("--episodes <n>", "number of episodes", parseIntOption("--episodes"))
    .requiredOption("--out <dataset>", "new dataset folder")
    .option("--seed <n>", "seed of the episode seeds", parseIntOption("--seed"), 0)
    .option("--workers <n>", "simulation worker threads (0 = in this thread)", parseIntOption("--workers"))
    .option(
      "--via-launch",
      "run sim_robot + behavior + recorder from launch/record.launch.xml instead of the fast path",
    )
    .option("--json", "end stdout with one JSON object")
    .action(async (opts: CollectCliOptions) => {
      if (!(DATASET_LEVELS as readonly string[]).includes(opts.level)) {
        throw new ConfigError("--level", "level", `unknown level "${opts.level}"`, {
          expected: DATASET_LEVELS.join(" | "),
          actual: opts.level,
        });
      }
      if (opts.episodes < 1)
        throw new ConfigError("--episodes", "episodes", "must be at least 1", {
          actual: String(opts.episodes),
        });
      const level = opts.level as DatasetLevel;
      const { startProgress } = await import("../progress.js");
      const progress = startProgress(`collect ${opts.robot} ${level}`, opts.episodes);
      let summary: CollectSummary | Record<string, unknown>;
      try {
        if (opts.viaLaunch) {
          const { collectViaLaunch } = await import("../../nodes/recorder/collect-via-launch.js");
          summary = await collectViaLaunch({
            robot: opts.robot,
            level,
            episodes: opts.episodes,
            out: opts.out,
            seed: opts.seed,
            onProgress: (d) => progress.update(d),
          });
        } else {
          summary = await collectDataset({
            robot: opts.robot,
            level,
            episodes: opts.episodes,
            out: opts.out,
            seed: opts.seed,
            workers: opts.workers,
            onProgress: (d, _t, r) => progress.update(d, { return: r }),
          });
        }
      } finally {
        progress.stop();
      }
      if (opts.json) printJsonLine(summary);
      else
        for (const [k, v] of Object.entries(summary))
          process.stdout.write(`${k}: ${typeof v === "number" ? +v.toPrecision(6) : v}\n`);
    });
}
