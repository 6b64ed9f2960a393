/**
 * `tether collect --via-launch`: the ROS-node path. Runs launch/record.launch.xml (recorder + sim_robot +
 * behavior) in the embedded runtime, or under ROS 2 when rclnodejs is available, and stops once the
 * simulator has played its episodes and the topics have gone quiet. Slower than the in-process path; it
 * exercises exactly what a real robot recording runs.
 */
import { join } from "node:path";
import { ConfigError } from "../../core/errors.js";
import { REPO_ROOT } from "../../robot/load.js";
import type { RecorderHandle } from "./recorder-node.js";

export const RECORD_LAUNCH_FILE = join(REPO_ROOT, "launch", "record.launch.xml");

export interface CollectViaLaunchOptions {
  robot: string;
  level: string;
  episodes: number;
  out: string;
  seed?: number;
  /** Give up after this many wall seconds (default: 60 + 2 s per episode). */
  timeoutSec?: number;
  /** Quiet time after the last episode started before stopping (default 1 s). */
  quietMs?: number;
  onProgress?: (episodesStarted: number) => void;
  log?: (line: string) => void;
}

const LAUNCH_LEVELS = ["random", "medium", "expert"];

export async function collectViaLaunch(options: CollectViaLaunchOptions): Promise<Record<string, unknown>> {
  if (!LAUNCH_LEVELS.includes(options.level)) {
    throw new ConfigError(
      "--level",
      "level",
      `"${options.level}" is not available with --via-launch (the behavior node runs one fixed level)`,
      {
        expected: LAUNCH_LEVELS.join(" | "),
        hint: "collect medium-replay and medium-expert without --via-launch",
      },
    );
  }
  const [{ interpretLaunchFile }, { runLaunchSession }, { NODE_REGISTRY }] = await Promise.all([
    import("../../launch/interpreter.js"),
    import("../../launch/session.js"),
    import("../registry.js"),
  ]);
  const desc = interpretLaunchFile(RECORD_LAUNCH_FILE, {
    args: {
      robot: options.robot,
      level: options.level,
      episodes: String(options.episodes),
      out: options.out,
      seed: String(options.seed ?? 0),
    },
  });
  const started = performance.now();
  const timeoutSec = options.timeoutSec ?? 60 + 2 * options.episodes;
  const quietMs = options.quietMs ?? 1000;
  let recorder: RecorderHandle | undefined;
  let timedOut = false;
  await runLaunchSession(desc, {
    ros: false,
    registry: NODE_REGISTRY,
    durationSec: timeoutSec,
    log: options.log,
    during: (handle, stop) => {
      recorder = handle.nodes.find((n) => n.description.executable === "recorder")?.handle as
        RecorderHandle | undefined;
      const rec = recorder;
      if (!rec) return;
      let lastCount = -1;
      let lastChange = performance.now();
      const poll = setInterval(() => {
        const st = rec.core.stats();
        const marks = st.messages["/episode"] ?? 0;
        options.onProgress?.(Math.max(0, Math.min(options.episodes, marks - 1)));
        const count = rec.received();
        const now = performance.now();
        if (count !== lastCount) {
          lastCount = count;
          lastChange = now;
        } else if (marks >= options.episodes && now - lastChange >= quietMs) {
          clearInterval(poll);
          stop();
        }
        if ((now - started) / 1000 > timeoutSec - 0.5) {
          timedOut = true;
          clearInterval(poll);
        }
      }, 100);
      poll.unref();
    },
    beforeShutdown: () => undefined,
  });
  // The recorder's close() ran at shutdown: the dataset is finalized.
  const stats = recorder?.finalStats();
  const seconds = (performance.now() - started) / 1000;
  return {
    dataset: options.out,
    robot: options.robot,
    level: options.level,
    via: "launch",
    episodes: stats?.episodes ?? 0,
    transitions: stats?.transitions ?? 0,
    seconds,
    transitions_per_s: (stats?.transitions ?? 0) / seconds,
    timed_out: timedOut,
    recorder: stats,
  };
}
