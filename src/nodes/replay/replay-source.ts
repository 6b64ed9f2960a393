/**
 * What replay plays: a stream of decoded messages with their log times, from a rosbag2 bag / MCAP run log /
 * ROS 1 bag, or from a Tether dataset (its actions on the robot's command topic, observations and episode
 * index). What cannot be played is skipped with a reason, never aborting the rest: service event topics
 * (replay publishes topics, it does not call services), ROS 1 types without a standard ROS 2 mapping, and a
 * topic whose message fails to decode (from that message on).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { TetherError } from "../../core/errors.js";
import { isKnownMessageType, messageDefinitions } from "../../msgs/registry.js";
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
  /** Topics of the log that are not played, with the reason (known when opened). */
  skipped?: Record<string, string>;
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

export interface ReplaySourceOptions {
  /** Called when a topic stops playing mid-log (its message failed to decode). */
  onSkip?: (topic: string, reason: string) => void;
}

export async function openReplaySource(
  path: string,
  options: ReplaySourceOptions = {},
): Promise<ReplaySource> {
  if (existsSync(join(path, "manifest.json"))) {
    const { openDatasetReplaySource } = await import("./dataset-source.js");
    return openDatasetReplaySource(path);
  }
  const { openBag } = await import("../../data/rosbag2/bag.js");
  const { ros1ToRos2 } = await import("../../data/rosbag2/ros1-to-ros2.js");
  const bag = await openBag(path);
  const skipped: Record<string, string> = {};
  const converters = new Map<string, (m: unknown) => unknown>();
  const topics: ReplayTopic[] = [];
  for (const t of bag.topics) {
    if (t.service) {
      skipped[t.name] =
        `service event topic of ${t.service.name} (${t.service.type}): replay publishes topics and does not call services`;
      continue;
    }
    if (bag.storage === "ros1") {
      let conversion: ReturnType<typeof ros1ToRos2>;
      try {
        conversion = ros1ToRos2(t.type, bag.decoder(t.name).definitions, {
          isKnown: isKnownMessageType,
          definitions: messageDefinitions,
        });
      } catch (err) {
        conversion = { ok: false, reason: (err as Error).message };
      }
      if (!conversion.ok) {
        skipped[t.name] = `ROS 1 type ${t.type}: ${conversion.reason}`;
        continue;
      }
      converters.set(t.name, conversion.convert);
      topics.push({ name: t.name, type: conversion.ros2Type, qos: qosFromProfile(t.offeredQosProfiles) });
      continue;
    }
    topics.push({
      name: t.name,
      type: t.type,
      qos: qosFromProfile(t.offeredQosProfiles),
      definition:
        t.definitionSource === "bag" && t.definition?.encoding === "ros2msg" ? t.definition.text : undefined,
    });
  }
  const playable = new Set(topics.map((t) => t.name));
  return {
    path,
    kind: "bag",
    topics,
    skipped,
    startNs: bag.startNs,
    endNs: bag.endNs,
    messageCount: bag.messageCount,
    async *messages(only) {
      const failed = new Set<string>();
      for await (const m of bag.messages({ topics: [...only].filter((t) => playable.has(t)) })) {
        if (failed.has(m.topic)) continue;
        let message: unknown;
        try {
          message = m.message;
          const convert = converters.get(m.topic);
          if (convert) message = convert(message);
        } catch (err) {
          failed.add(m.topic);
          const reason = `message logged at ${m.logTimeNs} ns: ${(err as Error).message}; the rest of the topic is skipped`;
          skipped[m.topic] = reason;
          options.onSkip?.(m.topic, reason);
          continue;
        }
        yield { topic: m.topic, logTimeNs: m.logTimeNs, message };
      }
    },
    close: () => bag.close(),
  };
}

export class ReplayError extends TetherError {
  constructor(path: string, detail: string, options?: { hint?: string }) {
    super("REPLAY", `${path}: ${detail}`, { path }, options);
  }
}
