/**
 * The dataset record schema (src/msgs/tether.proto), loaded once at runtime with protobufjs.
 * Loading the .proto takes a few milliseconds; the reflection types then compile their own encoders.
 */
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

/**
 * Format version written into manifest.json and every ChunkHeader. Readers reject newer versions.
 * 1: whole episodes. 2: episode fragments (first_step, continues) and manifest `episodes.truncated`.
 */
export const SCHEMA_VERSION = 2;

export const PROTO_FILE = fileURLToPath(new URL("../msgs/tether.proto", import.meta.url));

export interface ProvenanceRecord {
  robot: string;
  source: string;
  recorderVersion: string;
  behavior: string;
  createdAt: string;
  host?: string;
}

export interface ChunkHeaderRecord {
  schemaVersion: number;
  chunkIndex: number;
  obsDim: number;
  actDim: number;
  obsNames: string[];
  actNames: string[];
  actionRanges: number[];
  provenance: ProvenanceRecord;
}

/** One episode as stored. Arrays are flat, row-major. */
export interface EpisodeRecord {
  index: number;
  steps: number;
  /** (steps + 1) x obsDim */
  observations: Float32Array;
  /** steps x actDim, actuator units */
  actions: Float32Array;
  /** steps x actDim, [-1, 1] */
  actionsNormalized: Float32Array;
  rewards: Float32Array;
  terminals: Uint8Array;
  timeouts: Uint8Array;
  /** steps + 1 seconds, or empty when unknown */
  timestamps: Float64Array;
  behavior: string;
  termination: string;
  quality: number;
  seed: number;
  /** Fragment: the episode step this record starts at (0 for a whole episode). */
  firstStep: number;
  /** Fragment: more records of this episode follow (false for a whole episode and a last fragment). */
  continues: boolean;
}

interface Types {
  Record: protobuf.Type;
}

let types: Types | undefined;

export function protoTypes(): Types {
  if (!types) {
    const root = protobuf.loadSync(PROTO_FILE);
    types = { Record: root.lookupType("tether.v1.Record") };
  }
  return types;
}
