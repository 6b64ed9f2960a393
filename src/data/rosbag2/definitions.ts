/**
 * Message definitions and CDR decoders for bag topics. The definition stored in the bag itself wins (MCAP
 * schema records, the `.db3` `message_definitions` table); bags without one (rosbag2 before Iron) fall back
 * to the common ROS 2 definitions of @foxglove/rosmsg-msgs-common, and the topic says so
 * (`definitionSource: "builtin"`).
 */
import { parse as parseMsgDefinition } from "@foxglove/rosmsg";
import { MessageReader } from "@foxglove/rosmsg2-serialization";
import { MessageReader as Ros1MessageReader } from "@foxglove/rosmsg-serialization";
import { ros2galactic, ros2humble, ros2iron, ros2jazzy } from "@foxglove/rosmsg-msgs-common";
import type { MessageDefinition } from "@foxglove/message-definition";
import { DatasetFormatError } from "../../core/errors.js";

export type DefinitionSource = "bag" | "builtin" | "none";

export interface TopicDecoder {
  source: DefinitionSource;
  /** Root definition first, then every nested type. */
  definitions: MessageDefinition[];
  reader: PayloadReader;
  /** Set when the bag's own definition was unusable and a builtin one is used instead. */
  note?: string;
}

/** CDR readers also tell how many bytes they read (a stub definition reads fewer than the payload). */
export interface PayloadReader {
  readMessage(data: ArrayBufferView): unknown;
  lastReadByteLength?(): number;
}

type DefinitionTable = Record<string, MessageDefinition>;
/** Per ROS distro; bags that name their distro (sqlite3 `schema` table) get that distro's definitions. */
const BY_DISTRO: Record<string, DefinitionTable> = {
  galactic: ros2galactic as unknown as DefinitionTable,
  humble: ros2humble as unknown as DefinitionTable,
  iron: ros2iron as unknown as DefinitionTable,
  jazzy: ros2jazzy as unknown as DefinitionTable,
};
/** Newest wins for bags that do not say (rolling, kilted, unknown). */
const ANY_DISTRO: DefinitionTable = {
  ...BY_DISTRO.galactic,
  ...BY_DISTRO.humble,
  ...BY_DISTRO.iron,
  ...BY_DISTRO.jazzy,
};

/** "std_msgs/msg/String" -> "std_msgs/String" (the key style of the builtin tables). */
export function shortTypeName(type: string): string {
  const parts = type.split("/");
  return parts.length === 3 && parts[1] === "msg" ? `${parts[0]}/${parts[2]}` : type;
}

/** Builtin definitions for `type` (of `distro` when known): root first, then what it references. */
export function builtinDefinitions(type: string, distro?: string): MessageDefinition[] | undefined {
  const table =
    (distro && BY_DISTRO[distro]?.[shortTypeName(type)] ? BY_DISTRO[distro] : undefined) ?? ANY_DISTRO;
  const root = table[shortTypeName(type)];
  if (!root) return undefined;
  const out: MessageDefinition[] = [root];
  const seen = new Set([shortTypeName(type)]);
  for (let i = 0; i < out.length; i++) {
    for (const f of out[i].definitions) {
      if (!f.isComplex) continue;
      const key = shortTypeName(f.type);
      if (seen.has(key)) continue;
      seen.add(key);
      const def = table[key] ?? ANY_DISTRO[key];
      if (def) out.push(def);
    }
  }
  return out;
}

/** Resolves and caches one decoder per (file, type). */
export class DecoderCache {
  readonly #decoders = new Map<string, TopicDecoder>();

  constructor(readonly distro?: string) {}

  /** Where the decoder for this type would come from, without building it. */
  static sourceFor(type: string, embedded?: { encoding: string; text: string }): DefinitionSource {
    if (embedded && (embedded.encoding === "ros2msg" || embedded.encoding === "ros1msg")) return "bag";
    return builtinDefinitions(type) ? "builtin" : "none";
  }

  get(
    file: string,
    topic: string,
    type: string,
    embedded?: { encoding: string; text: string },
  ): TopicDecoder {
    const key = `${type}\u0000${embedded?.text ?? ""}`;
    let decoder = this.#decoders.get(key);
    if (!decoder) {
      decoder = DecoderCache.build(file, topic, type, embedded, this.distro);
      this.#decoders.set(key, decoder);
    }
    return decoder;
  }

  static build(
    file: string,
    topic: string,
    type: string,
    embedded?: { encoding: string; text: string },
    distro?: string,
  ): TopicDecoder {
    if (embedded && embedded.encoding === "ros1msg") {
      // ROS 1 bags always carry their definitions; ROS 1 serialization is not CDR.
      try {
        const definitions = parseMsgDefinition(embedded.text);
        return { source: "bag", definitions, reader: new Ros1MessageReader(definitions) };
      } catch (err) {
        throw new DatasetFormatError(
          file,
          undefined,
          `topic ${topic}: cannot parse the bag's ${type} definition: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    if (embedded && embedded.encoding === "ros2msg") {
      let definitions: MessageDefinition[];
      try {
        definitions = parseMsgDefinition(embedded.text, { ros2: true });
      } catch (err) {
        const builtin = builtinDefinitions(type, distro);
        const why = `cannot parse the bag's ${type} definition: ${(err as Error).message}`;
        if (builtin)
          return {
            source: "builtin",
            definitions: builtin,
            reader: new MessageReader(builtin),
            note: `topic ${topic}: ${why}; using Tether's builtin definition`,
          };
        throw new DatasetFormatError(file, undefined, `topic ${topic}: ${why}`, { cause: err });
      }
      return { source: "bag", definitions, reader: new MessageReader(definitions) };
    }
    const builtin = builtinDefinitions(type, distro);
    if (!builtin) {
      const why = embedded
        ? `its definition is in unsupported encoding "${embedded.encoding}"`
        : "the bag carries no definition";
      throw new DatasetFormatError(
        file,
        undefined,
        `topic ${topic}: unknown message type ${type}: ${why} and Tether has none built in`,
        {
          hint: "re-record with rosbag2 Iron or newer (definitions are stored in the bag), or convert the bag to MCAP",
        },
      );
    }
    return { source: "builtin", definitions: builtin, reader: new MessageReader(builtin) };
  }
}
