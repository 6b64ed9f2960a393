/**
 * What one rosbag2 storage file (an `.mcap` or a `.db3`) exposes to the bag reader: its topics with their
 * message counts and embedded definitions, and its raw CDR messages in log-time order.
 */

export type StorageId = "mcap" | "sqlite3" | "ros1";

export interface StorageTopic {
  name: string;
  /** Type name as recorded, e.g. "std_msgs/msg/String" (ROS 1: "std_msgs/String"). */
  type: string;
  /** "cdr" for every ROS 2 bag Tether reads; "ros1" for ROS 1 bags. */
  serializationFormat: string;
  offeredQosProfiles?: string;
  messageCount: number;
  /** The message definition carried by the file itself (MCAP schema, `message_definitions` table). */
  definition?: { encoding: string; text: string };
}

export interface RawMessage {
  topic: string;
  logTimeNs: bigint;
  publishTimeNs?: bigint;
  data: Uint8Array;
}

export interface StorageFile {
  path: string;
  storage: StorageId;
  topics: StorageTopic[];
  messageCount: number;
  /** Problems that did not stop reading (e.g. a truncated file read with allowTruncated). */
  warnings?: string[];
  /** ROS distro the file says it was recorded with (sqlite3 `schema` table), if any. */
  rosDistro?: string;
  /** Earliest and latest log time in the file (0n when empty). */
  startNs: bigint;
  endNs: bigint;
  /** Raw messages in log-time order, optionally only some topics. */
  messages(topics?: ReadonlySet<string>): AsyncIterable<RawMessage>;
  close(): Promise<void>;
}
