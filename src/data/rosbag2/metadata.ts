/**
 * rosbag2's `metadata.yaml` (versions 1 to 9; version 1 is the 2018 Crystal layout, which lacks the
 * compression and QoS fields later versions add): storage id, relative file paths, topics with their message
 * counts, start time and duration. Validated with zod; every problem names the file and the field, and a
 * layout Tether cannot read names the metadata version.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigError } from "../../core/errors.js";
import { zodToConfigError } from "../../robot/load.js";

// Parsed with intAsBigInt: nanosecond stamps do not fit a double.
const nanos = z.union([z.number(), z.string(), z.bigint()]).transform((v) => BigInt(v));
const count = z.union([z.bigint(), z.number()]).transform(Number).pipe(z.number().int().min(0));

const MetadataSchema = z.object({
  rosbag2_bagfile_information: z.object({
    version: count,
    storage_identifier: z.string(),
    relative_file_paths: z.array(z.string()).min(1),
    duration: z.object({ nanoseconds: nanos }),
    starting_time: z.object({ nanoseconds_since_epoch: nanos }),
    message_count: count,
    topics_with_message_count: z
      .array(
        z.object({
          message_count: count,
          topic_metadata: z.object({
            name: z.string(),
            type: z.string(),
            serialization_format: z.string(),
            offered_qos_profiles: z.union([z.string(), z.array(z.unknown())]).optional(),
          }),
        }),
      )
      .nullish()
      .transform((v) => v ?? []),
    compression_format: z.string().nullish(),
    compression_mode: z.string().nullish(),
  }),
});

/** The newest metadata.yaml version Tether was checked against (rosbag2 Jazzy writes 9). */
const MAX_VERSION = 9;

export interface BagMetadata {
  file: string;
  version: number;
  storage: string;
  relativeFilePaths: string[];
  startNs: bigint;
  durationNs: bigint;
  messageCount: number;
  topics: { name: string; type: string; serializationFormat: string; messageCount: number }[];
  compressionFormat: string;
  compressionMode: string;
}

export function readBagMetadata(file: string): BagMetadata {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, "utf8"), { intAsBigInt: true });
  } catch (err) {
    throw new ConfigError(file, "(yaml)", (err as Error).message.split("\n")[0], { cause: err });
  }
  const version = (raw as { rosbag2_bagfile_information?: { version?: unknown } } | null)
    ?.rosbag2_bagfile_information?.version;
  // Parsed with intAsBigInt: a YAML integer is a bigint.
  if (version !== undefined && !(typeof version === "bigint" && version >= 1n))
    throw new ConfigError(
      file,
      "rosbag2_bagfile_information.version",
      `metadata version ${String(version)} is not a rosbag2 metadata version (1 to ${MAX_VERSION})`,
    );
  const known = typeof version === "bigint" && version <= BigInt(MAX_VERSION);
  const parsed = MetadataSchema.safeParse(raw);
  if (!parsed.success) {
    const err = zodToConfigError(file, parsed.error);
    if (known) throw err;
    // A newer rosbag2 may have changed the layout: say which version the file is.
    throw new ConfigError(
      file,
      err.field,
      `${err.message.slice(`${file}: ${err.field}: `.length)} (metadata version ${String(version)}; Tether reads versions 1 to ${MAX_VERSION})`,
      { cause: err },
    );
  }
  const info = parsed.data.rosbag2_bagfile_information;
  return {
    file,
    version: info.version,
    storage: info.storage_identifier,
    relativeFilePaths: info.relative_file_paths,
    startNs: info.starting_time.nanoseconds_since_epoch,
    durationNs: info.duration.nanoseconds,
    messageCount: info.message_count,
    topics: info.topics_with_message_count.map((t) => ({
      name: t.topic_metadata.name,
      type: t.topic_metadata.type,
      serializationFormat: t.topic_metadata.serialization_format,
      messageCount: t.message_count,
    })),
    compressionFormat: info.compression_format ?? "",
    compressionMode: info.compression_mode ?? "",
  };
}
