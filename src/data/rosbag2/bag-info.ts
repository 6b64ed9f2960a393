/** `tether bag info`: the summary `ros2 bag info` prints, as text or as one JSON object. */
import { statSync } from "node:fs";
import { basename } from "node:path";
import type { Bag } from "./bag.js";

export interface BagInfo {
  path: string;
  storage: string;
  files: { path: string; size_bytes: number }[];
  size_bytes: number;
  /** Seconds between the first and the last message. */
  duration: number;
  start_ns: string;
  end_ns: string;
  total: number;
  topics: {
    name: string;
    type: string;
    message_count: number;
    serialization_format: string;
    definition: string;
  }[];
  /** Disagreements between metadata.yaml and the storage files, or decoding notes. */
  warnings: string[];
}

export function bagInfo(bag: Bag): BagInfo {
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
    topics: bag.topics.map((t) => ({
      name: t.name,
      type: t.type,
      message_count: t.messageCount,
      serialization_format: t.serializationFormat,
      definition: t.definitionSource,
    })),
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
    `${pad("Messages:")}${info.total}`,
  ];
  info.topics.forEach((t, i) => {
    lines.push(
      `${pad(i === 0 ? "Topic information:" : "")}Topic: ${t.name} | Type: ${t.type} | Count: ${t.message_count} | Serialization Format: ${t.serialization_format} | Definition: ${t.definition}`,
    );
  });
  for (const w of info.warnings) lines.push(`warning: ${w}`);
  return lines.join("\n");
}
