/**
 * What replay plays: a stream of decoded messages with their log times, from a rosbag2 bag / MCAP run log,
 * or from a Tether dataset (its actions on the robot's command topic, observations and episode index).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { TetherError } from "../../core/errors.js";
import type { QoS } from "../../ros/node.js";

export interface ReplayTopic {
  name: string;
  type: string;
  qos?: Partial<QoS>;
  /** ros2msg definition text carried by the log (registered for types the runtime does not know). */
  definition?: string;
}

export interface ReplayMessage {
  topic: string;
  logTimeNs: bigint;
  message: unknown;
}

export interface ReplaySource {
  path: string;
  kind: "bag" | "dataset";
  topics: ReplayTopic[];
  startNs: bigint;
  endNs: bigint;
  messageCount: number;
  messages(topics: ReadonlySet<string>): AsyncIterable<ReplayMessage>;
  close(): Promise<void>;
}

/**
 * rosbag2's offered_qos_profiles YAML -> QoS. Policies are enum numbers in Humble's bags and names
 * ("reliable", "transient_local") in Jazzy's.
 */
export function qosFromProfile(profile: string | undefined): Partial<QoS> | undefined {
  if (!profile) return undefined;
  try {
    type Policy = number | string | undefined;
    const list = parseYaml(profile) as { depth?: number; reliability?: Policy; durability?: Policy }[] | null;
    const p = Array.isArray(list) ? list[0] : undefined;
    if (!p) return undefined;
    const qos: Partial<QoS> = {};
    if (typeof p.depth === "number" && p.depth > 0) qos.depth = p.depth;
    if (p.reliability === 1 || p.reliability === "reliable") qos.reliability = "reliable";
    if (p.reliability === 2 || p.reliability === "best_effort") qos.reliability = "best_effort";
    if (p.durability === 1 || p.durability === "transient_local") qos.durability = "transient_local";
    if (p.durability === 2 || p.durability === "volatile") qos.durability = "volatile";
    return qos;
  } catch {
    return undefined;
  }
}

export async function openReplaySource(path: string): Promise<ReplaySource> {
  if (existsSync(join(path, "manifest.json"))) {
    const { openDatasetReplaySource } = await import("./dataset-source.js");
    return openDatasetReplaySource(path);
  }
  const { openBag } = await import("../../data/rosbag2/bag.js");
  const bag = await openBag(path);
  const topics: ReplayTopic[] = bag.topics.map((t) => ({
    name: t.name,
    type: t.type,
    qos: qosFromProfile(t.offeredQosProfiles),
    definition:
      t.definitionSource === "bag" && t.definition?.encoding === "ros2msg" ? t.definition.text : undefined,
  }));
  return {
    path,
    kind: "bag",
    topics,
    startNs: bag.startNs,
    endNs: bag.endNs,
    messageCount: bag.messageCount,
    async *messages(only) {
      for await (const m of bag.messages({ topics: only }))
        yield { topic: m.topic, logTimeNs: m.logTimeNs, message: m.message };
    },
    close: () => bag.close(),
  };
}

export class ReplayError extends TetherError {
  constructor(path: string, detail: string, options?: { hint?: string }) {
    super("REPLAY", `${path}: ${detail}`, { path }, options);
  }
}
