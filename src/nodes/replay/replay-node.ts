/**
 * The `replay` node (exec "replay" in src/nodes/registry.ts), like `ros2 bag play`: publishes a bag's or a
 * dataset's messages on their topics with their original timing and publishes /clock.
 * Parameters: bag (path), rate (1.0), loop (false), topics (names, empty = all), publish_clock (true),
 * clock_hz (40). Topics whose type neither the runtime nor the bag defines are skipped with a warning.
 */
import { isKnownMessageType, registerMessageDefinition } from "../../msgs/registry.js";
import { timeFromNanos } from "../../msgs/time.js";
import { CLOCK_QOS, type Node, type NodeFactory, type Publisher } from "../../ros/node.js";
import { play, type PlayStats, type PlayerClock } from "./bag-player.js";
import { openReplaySource, ReplayError, type ReplaySource } from "./replay-source.js";

export interface ReplayOptions {
  path: string;
  rate?: number;
  loop?: boolean;
  /** Empty or undefined: all topics. */
  topics?: string[];
  publishClock?: boolean;
  clockHz?: number;
  clockSource?: PlayerClock;
}

export interface ReplayHandle {
  source: ReplaySource;
  /** Topics being played. */
  topics: string[];
  /** Topics skipped, with the reason. */
  skipped: Record<string, string>;
  done: Promise<PlayStats>;
  stop(): Promise<void>;
}

export async function startReplay(node: Node, options: ReplayOptions): Promise<ReplayHandle> {
  const source = await openReplaySource(options.path);
  const logger = node.getLogger();
  const wanted = options.topics && options.topics.length > 0 ? new Set(options.topics) : undefined;
  if (wanted) {
    const missing = [...wanted].filter((t) => !source.topics.some((x) => x.name === t));
    if (missing.length > 0) {
      await source.close();
      throw new ReplayError(options.path, `--topics names ${missing.join(", ")}, not in the log`, {
        hint: `topics: ${source.topics.map((t) => t.name).join(", ")}`,
      });
    }
  }
  const publishers = new Map<string, Publisher<unknown>>();
  const skipped: Record<string, string> = {};
  for (const t of source.topics) {
    if (wanted && !wanted.has(t.name)) continue;
    if (!isKnownMessageType(t.type)) {
      if (t.definition) registerMessageDefinition(t.type, t.definition);
      else {
        skipped[t.name] = `type ${t.type} has no definition in the log and none is built in`;
        logger.warn(`replay: skipping ${t.name}: ${skipped[t.name]}`);
        continue;
      }
    }
    publishers.set(t.name, node.createPublisher(t.type, t.name, { qos: t.qos }) as Publisher<unknown>);
  }
  const clockPub =
    options.publishClock === false
      ? undefined
      : node.createPublisher("rosgraph_msgs/msg/Clock", "/clock", { qos: CLOCK_QOS });
  const abort = new AbortController();
  logger.info(
    `replay: ${source.path} (${source.kind}), ${publishers.size} topics, rate ${options.rate ?? 1}${options.loop ? ", loop" : ""}`,
  );
  const done = play(
    source,
    {
      publish: (m) => publishers.get(m.topic)?.publish(m.message),
      publishClock: (tNs) => clockPub?.publish({ clock: timeFromNanos(tNs) }),
    },
    {
      rate: options.rate,
      loop: options.loop,
      topics: new Set(publishers.keys()),
      clock: clockPub !== undefined,
      clockHz: options.clockHz,
      signal: abort.signal,
      clockSource: options.clockSource,
    },
  ).then(async (stats) => {
    logger.info(
      `replay: finished, ${stats.published} messages${stats.loops > 1 ? ` over ${stats.loops} loops` : ""}`,
    );
    return stats;
  });
  done.catch(() => undefined);
  let closed = false;
  return {
    source,
    topics: [...publishers.keys()],
    skipped,
    done,
    async stop() {
      if (closed) return;
      closed = true;
      abort.abort();
      await done.catch(() => undefined);
      await source.close();
    },
  };
}

function boolParameter(value: unknown): boolean {
  return value === true || value === "true" || value === "True" || value === 1;
}

function topicsParameter(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String).filter((t) => t.length > 0);
  return String(value ?? "")
    .split(/[\s,]+/)
    .filter((t) => t.length > 0);
}

export const replayNode: NodeFactory = async (node, args) => {
  const bag = node.declareParameter("bag", args[0] ?? "", {
    description: "bag folder, .mcap/.db3 file, or Tether dataset",
  });
  if (!bag)
    throw new ReplayError("(parameter bag)", "no bag given", {
      hint: 'set the "bag" parameter (launch arg bag:=<path>)',
    });
  const handle = await startReplay(node, {
    path: bag,
    rate: Number(node.declareParameter("rate", 1.0, { double: true })),
    loop: boolParameter(node.declareParameter("loop", false)),
    topics: topicsParameter(node.declareParameter("topics", "")),
    publishClock: boolParameter(node.declareParameter("publish_clock", true)),
    clockHz: Number(node.declareParameter("clock_hz", 40, { double: true })),
  });
  handle.done.catch((err: unknown) => node.getLogger().error(`replay failed: ${(err as Error).message}`));
  return { close: () => handle.stop() };
};
