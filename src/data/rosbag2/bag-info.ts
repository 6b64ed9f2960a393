/** `tether bag info`: the summary `ros2 bag info -v` prints, as text or as one JSON object. */
import { statSync } from "node:fs";
import { basename } from "node:path";
import type { Bag } from "./bag.js";
import { eventKind, type ServiceEvent } from "./service-events.js";

export interface BagInfo {
  path: string;
  storage: string;
  files: { path: string; size_bytes: number }[];
  size_bytes: number;
  /** Seconds between the first and the last message. */
  duration: number;
  start_ns: string;
  end_ns: string;
  /** Every message in the storage files, service events included (metadata.yaml's message_count). */
  total: number;
  /** Message topics (service event topics are listed under services, as `ros2 bag info` does). */
  topics: {
    name: string;
    type: string;
    message_count: number;
    serialization_format: string;
    definition: string;
  }[];
  /** Services recorded as `<service>/_service_event` topics; request/response counts need the events decoded. */
  services: {
    name: string;
    type: string;
    topic: string;
    event_count: number;
    request_count: number | null;
    response_count: number | null;
    serialization_format: string;
  }[];
  /** Disagreements between metadata.yaml and the storage files, or decoding notes. */
  warnings: string[];
}

export type ServiceEventCounts = Map<string, { requests: number; responses: number }>;

/** Decodes every service event of the bag and counts requests and responses per event topic. */
export async function countServiceEvents(bag: Bag): Promise<ServiceEventCounts> {
  const counts: ServiceEventCounts = new Map();
  const topics = bag.topics.filter((t) => t.service && t.messageCount > 0).map((t) => t.name);
  if (topics.length === 0) return counts;
  for await (const m of bag.messages({ topics })) {
    const c = counts.get(m.topic) ?? { requests: 0, responses: 0 };
    if (eventKind(m.message as ServiceEvent) === "request") c.requests++;
    else c.responses++;
    counts.set(m.topic, c);
  }
  return counts;
}

export function bagInfo(bag: Bag, serviceCounts?: ServiceEventCounts): BagInfo {
  const files = bag.files.map((f) => ({ path: f, size_bytes: statSync(f).size }));
  const warnings = [...bag.warnings];
  const meta = bag.metadata;
  if (meta) {
    if (meta.messageCount !== bag.messageCount) {
      warnings.push(
        `${meta.file}: message_count is ${meta.messageCount} but the storage files hold ${bag.messageCount} messages`,
      );
    }
    for (const mt of meta.topics) {
      const t = bag.topics.find((x) => x.name === mt.name);
      if (t && t.messageCount !== mt.messageCount) {
        warnings.push(
          `${meta.file}: topic ${mt.name} has message_count ${mt.messageCount} but the storage files hold ${t.messageCount}`,
        );
      }
    }
  }
  return {
    path: bag.path,
    storage: bag.storage,
    files,
    size_bytes: files.reduce((n, f) => n + f.size_bytes, 0),
    duration: Number(bag.endNs - bag.startNs) / 1e9,
    start_ns: bag.startNs.toString(),
    end_ns: bag.endNs.toString(),
    total: bag.messageCount,
    topics: bag.topics
      .filter((t) => !t.service)
      .map((t) => ({
        name: t.name,
        type: t.type,
        message_count: t.messageCount,
        serialization_format: t.serializationFormat,
        definition: t.definitionSource,
      })),
    services: bag.topics.flatMap((t) => {
      if (!t.service) return [];
      const c =
        serviceCounts?.get(t.name) ?? (t.messageCount === 0 ? { requests: 0, responses: 0 } : undefined);
      return [
        {
          name: t.service.name,
          type: t.service.type,
          topic: t.name,
          event_count: t.messageCount,
          request_count: c ? c.requests : null,
          response_count: c ? c.responses : null,
          serialization_format: t.serializationFormat,
        },
      ];
    }),
    warnings,
  };
}

function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

function formatStamp(ns: string): string {
  const n = BigInt(ns);
  const sec = n / 1_000_000_000n;
  const frac = (n % 1_000_000_000n).toString().padStart(9, "0");
  return `${new Date(Number(sec) * 1000).toISOString().replace(/\.\d+Z$/, "")}.${frac}Z (${sec}.${frac})`;
}

export function formatBagInfo(info: BagInfo): string {
  const pad = (label: string) => label.padEnd(19);
  const lines = [
    `${pad("Files:")}${info.files.map((f) => basename(f.path)).join("\n" + " ".repeat(19))}`,
    `${pad("Bag size:")}${formatSize(info.size_bytes)}`,
    `${pad("Storage id:")}${info.storage}`,
    `${pad("Duration:")}${info.duration.toFixed(9)}s`,
    `${pad("Start:")}${formatStamp(info.start_ns)}`,
    `${pad("End:")}${formatStamp(info.end_ns)}`,
    `${pad("Messages:")}${info.topics.reduce((n, t) => n + t.message_count, 0)}`,
  ];
  info.topics.forEach((t, i) => {
    lines.push(
      `${pad(i === 0 ? "Topic information:" : "")}Topic: ${t.name} | Type: ${t.type} | Count: ${t.message_count} | Serialization Format: ${t.serialization_format} | Definition: ${t.definition}`,
    );
  });
  lines.push(`${pad("Service:")}${info.services.length}`);
  info.services.forEach((s, i) => {
    const counts =
      s.request_count === null
        ? `Event Count: ${s.event_count}`
        : `Request Count: ${s.request_count} | Response Count: ${s.response_count}`;
    lines.push(
      `${i === 0 ? "Service information: " : " ".repeat(21)}Service: ${s.name} | Type: ${s.type} | ${counts} | Serialization Format: ${s.serialization_format}`,
    );
  });
  for (const w of info.warnings) lines.push(`warning: ${w}`);
  return lines.join("\n");
}
