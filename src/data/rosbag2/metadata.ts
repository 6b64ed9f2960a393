/**
 * rosbag2's `metadata.yaml` (versions 3 to 9): storage id, relative file paths, topics with their message
 * counts, start time and duration. Validated with zod; every problem names the file and the field.
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
  const parsed = MetadataSchema.safeParse(raw);
  if (!parsed.success) throw zodToConfigError(file, parsed.error);
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
