/**
 * Plays a replay source with its original timing, like `ros2 bag play`: message i is published at
 * start + (t_i - t_0) / rate of wall time, /clock carries the log time (before each message and at
 * `clockHz` while waiting), `loop` starts over at the end. Time is injectable for tests.
 * No ROS here: the node (replay-node.ts) supplies the publish functions.
 */
import type { ReplayMessage, ReplaySource } from "./replay-source.js";

export interface PlayerClock {
  nowMs(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const WALL_CLOCK: PlayerClock = {
  nowMs: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        signal?.removeEventListener("abort", done);
        clearTimeout(timer);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    }),
};

export interface PlayOptions {
  rate?: number;
  loop?: boolean;
  /** Topics to play (default: every topic the sink accepts). */
  topics: ReadonlySet<string>;
  /** Publish /clock (default true) at this rate while waiting between messages (default 40 Hz). */
  clock?: boolean;
  clockHz?: number;
  signal?: AbortSignal;
  clockSource?: PlayerClock;
}

export interface PlaySink {
  publish(message: ReplayMessage): void;
  publishClock(tNs: bigint): void;
}

export interface PlayStats {
  published: number;
  perTopic: Record<string, number>;
  loops: number;
  clockMessages: number;
  /** Largest lateness of a message behind its schedule, ms. */
  maxLateMs: number;
}

export async function play(source: ReplaySource, sink: PlaySink, options: PlayOptions): Promise<PlayStats> {
  const rate = options.rate ?? 1;
  if (!(rate > 0)) throw new RangeError(`rate must be > 0, got ${rate}`);
  const clock = options.clockSource ?? WALL_CLOCK;
  const withClock = options.clock ?? true;
  const clockPeriodMs = 1000 / (options.clockHz ?? 40);
  const stats: PlayStats = { published: 0, perTopic: {}, loops: 0, clockMessages: 0, maxLateMs: 0 };
  let lastClock = -1n;
  const tick = (tNs: bigint) => {
    if (!withClock || tNs <= lastClock) return;
    lastClock = tNs;
    sink.publishClock(tNs);
    stats.clockMessages++;
  };
  do {
    let t0: bigint | undefined;
    let wall0 = 0;
    lastClock = -1n;
    for await (const m of source.messages(options.topics)) {
      if (options.signal?.aborted) return stats;
      if (t0 === undefined) {
        t0 = m.logTimeNs;
        wall0 = clock.nowMs();
      }
      const dueMs = wall0 + Number(m.logTimeNs - t0) / 1e6 / rate;
      // Wait in clock-sized steps so /clock advances smoothly through gaps.
      for (let now = clock.nowMs(); now < dueMs; now = clock.nowMs()) {
        await clock.sleep(Math.min(dueMs - now, clockPeriodMs), options.signal);
        if (options.signal?.aborted) return stats;
        const elapsed = Math.min(clock.nowMs(), dueMs) - wall0;
        tick(t0 + BigInt(Math.floor(elapsed * rate * 1e6)));
      }
      stats.maxLateMs = Math.max(stats.maxLateMs, clock.nowMs() - dueMs);
      tick(m.logTimeNs);
      sink.publish(m);
      stats.published++;
      stats.perTopic[m.topic] = (stats.perTopic[m.topic] ?? 0) + 1;
    }
    stats.loops++;
  } while (options.loop && !options.signal?.aborted && stats.published > 0);
  return stats;
}
