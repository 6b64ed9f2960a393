/**
 * Encoding and decoding of `tether.v1.Record` payloads.
 *
 * Headers go through protobufjs reflection (small, rare). Episodes are the hot path: their packed float
 * fields are on the wire exactly little-endian IEEE-754 arrays, so this codec copies them as bytes instead
 * of element by element. It is wire-identical to protobufjs (test/data/record-codec.test.ts checks both
 * directions against the reflection types); on a big-endian host it falls back to protobufjs.
 */
import { endianness } from "node:os";
import protobuf from "protobufjs";
import { protoTypes, type ChunkHeaderRecord, type EpisodeRecord } from "./proto.js";

const LITTLE_ENDIAN = endianness() === "LE";

/** Whether episodeColumnBytes() can be used (packed floats are little-endian on the wire). */
export const COLUMN_BYTES_SUPPORTED = LITTLE_ENDIAN;

export type DecodedRecord =
  { kind: "header"; header: ChunkHeaderRecord } | { kind: "episode"; episode: EpisodeRecord };

/** Thrown by decode when the payload is not a valid Record; callers wrap it with file and offset. */
export class RecordDecodeError extends Error {}

export function encodeHeader(header: ChunkHeaderRecord): Uint8Array {
  const { Record } = protoTypes();
  return Record.encode(Record.fromObject({ header })).finish();
}

export function encodeEpisode(ep: EpisodeRecord): Uint8Array {
  if (!LITTLE_ENDIAN) {
    const { Record } = protoTypes();
    return Record.encode(Record.fromObject({ episode: episodeToPlain(ep) })).finish();
  }
  const w = protobuf.Writer.create();
  w.uint32((2 << 3) | 2).fork(); // Record.episode
  if (ep.index) w.uint32((1 << 3) | 0).uint64(ep.index);
  if (ep.steps) w.uint32((2 << 3) | 0).uint32(ep.steps);
  packedBytes(w, 3, ep.observations);
  packedBytes(w, 4, ep.actions);
  packedBytes(w, 5, ep.actionsNormalized);
  packedBytes(w, 6, ep.rewards);
  if (ep.terminals.length) w.uint32((7 << 3) | 2).bytes(ep.terminals);
  if (ep.timeouts.length) w.uint32((8 << 3) | 2).bytes(ep.timeouts);
  packedBytes(w, 9, ep.timestamps);
  if (ep.behavior) w.uint32((10 << 3) | 2).string(ep.behavior);
  if (ep.termination) w.uint32((11 << 3) | 2).string(ep.termination);
  if (ep.quality) w.uint32((12 << 3) | 1).double(ep.quality);
  if (ep.seed) w.uint32((13 << 3) | 0).uint64(ep.seed);
  if (ep.firstStep) w.uint32((14 << 3) | 0).uint32(ep.firstStep);
  if (ep.continues) w.uint32((15 << 3) | 0).bool(true);
  w.ldelim();
  return w.finish();
}

function packedBytes(w: protobuf.Writer, field: number, values: Float32Array | Float64Array): void {
  if (values.length === 0) return;
  w.uint32((field << 3) | 2).bytes(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

export function decodeRecord(payload: Uint8Array): DecodedRecord {
  try {
    const r = protobuf.Reader.create(payload);
    if (r.len === 0) throw new RecordDecodeError("empty record");
    const tag = r.uint32();
    if (tag === ((1 << 3) | 2)) {
      const { Record } = protoTypes();
      const obj = Record.toObject(Record.decode(payload), { longs: Number, arrays: true, defaults: true });
      return { kind: "header", header: obj.header as ChunkHeaderRecord };
    }
    if (tag !== ((2 << 3) | 2)) throw new RecordDecodeError(`unknown record field tag ${tag}`);
    const len = r.uint32();
    if (r.pos + len !== payload.length)
      throw new RecordDecodeError(`episode length ${len} does not match record size`);
    return {
      kind: "episode",
      episode: LITTLE_ENDIAN ? decodeEpisodeFast(payload, r.pos, r.pos + len) : decodeEpisodeSlow(payload),
    };
  } catch (err) {
    if (err instanceof RecordDecodeError) throw err;
    throw new RecordDecodeError((err as Error).message);
  }
}

function decodeEpisodeFast(buf: Uint8Array, start: number, end: number): EpisodeRecord {
  const ep = emptyEpisode();
  const r = protobuf.Reader.create(buf.subarray(0, end));
  r.pos = start;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    switch (field) {
      case 1:
        ep.index = Number(r.uint64());
        break;
      case 2:
        ep.steps = r.uint32();
        break;
      case 3:
        ep.observations = readFloat32(r, tag);
        break;
      case 4:
        ep.actions = readFloat32(r, tag);
        break;
      case 5:
        ep.actionsNormalized = readFloat32(r, tag);
        break;
      case 6:
        ep.rewards = readFloat32(r, tag);
        break;
      case 7:
        ep.terminals = readPackedBytes(r, tag, 1);
        break;
      case 8:
        ep.timeouts = readPackedBytes(r, tag, 1);
        break;
      case 9: {
        const bytes = readPackedBytes(r, tag, 8);
        ep.timestamps = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
        break;
      }
      case 10:
        ep.behavior = r.string();
        break;
      case 11:
        ep.termination = r.string();
        break;
      case 12:
        ep.quality = r.double();
        break;
      case 13:
        ep.seed = Number(r.uint64());
        break;
      case 14:
        ep.firstStep = r.uint32();
        break;
      case 15:
        ep.continues = r.bool();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return ep;
}

function readFloat32(r: protobuf.Reader, tag: number): Float32Array {
  const bytes = readPackedBytes(r, tag, 4);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** Copies a packed field into a fresh, aligned buffer. */
function readPackedBytes(r: protobuf.Reader, tag: number, width: number): Uint8Array {
  if ((tag & 7) !== 2) throw new RecordDecodeError(`field ${tag >>> 3} is not packed (wire type ${tag & 7})`);
  const len = r.uint32();
  if (len % width !== 0)
    throw new RecordDecodeError(`packed field ${tag >>> 3} has ${len} bytes, not a multiple of ${width}`);
  if (r.pos + len > r.len) throw new RecordDecodeError(`packed field ${tag >>> 3} runs past the record end`);
  const out = new Uint8Array(len);
  out.set(r.buf.subarray(r.pos, r.pos + len));
  r.pos += len;
  return out;
}

function decodeEpisodeSlow(payload: Uint8Array): EpisodeRecord {
  const { Record } = protoTypes();
  const o = Record.toObject(Record.decode(payload), {
    longs: Number,
    arrays: true,
    defaults: true,
    bytes: Array,
  }).episode;
  return {
    index: o.index,
    steps: o.steps,
    observations: Float32Array.from(o.observations),
    actions: Float32Array.from(o.actions),
    actionsNormalized: Float32Array.from(o.actionsNormalized),
    rewards: Float32Array.from(o.rewards),
    terminals: Uint8Array.from(o.terminals),
    timeouts: Uint8Array.from(o.timeouts),
    timestamps: Float64Array.from(o.timestamps),
    behavior: o.behavior,
    termination: o.termination,
    quality: o.quality,
    seed: o.seed,
    firstStep: o.firstStep,
    continues: o.continues,
  };
}

export function episodeToPlain(ep: EpisodeRecord): Record<string, unknown> {
  return {
    index: ep.index,
    steps: ep.steps,
    observations: Array.from(ep.observations),
    actions: Array.from(ep.actions),
    actionsNormalized: Array.from(ep.actionsNormalized),
    rewards: Array.from(ep.rewards),
    terminals: ep.terminals,
    timeouts: ep.timeouts,
    timestamps: Array.from(ep.timestamps),
    behavior: ep.behavior,
    termination: ep.termination,
    quality: ep.quality,
    seed: ep.seed,
    firstStep: ep.firstStep,
    continues: ep.continues,
  };
}

function emptyEpisode(): EpisodeRecord {
  return {
    index: 0,
    steps: 0,
    observations: new Float32Array(0),
    actions: new Float32Array(0),
    actionsNormalized: new Float32Array(0),
    rewards: new Float32Array(0),
    terminals: new Uint8Array(0),
    timeouts: new Uint8Array(0),
    timestamps: new Float64Array(0),
    behavior: "",
    termination: "",
    quality: 0,
    seed: 0,
    firstStep: 0,
    continues: false,
  };
}

/** The training columns of one episode as byte views into the record (no copies; little-endian floats). */
export interface EpisodeColumnBytes {
  index: number;
  steps: number;
  firstStep: number;
  continues: boolean;
  observations: Uint8Array;
  actionsNormalized: Uint8Array;
  rewards: Uint8Array;
  terminals: Uint8Array;
  timeouts: Uint8Array;
}

/**
 * The loading hot path: finds the byte ranges of the columns loadTransitions needs without decoding or
 * copying anything else. Returns undefined for a header record. Little-endian hosts only (see LITTLE_ENDIAN).
 */
export function episodeColumnBytes(payload: Uint8Array): EpisodeColumnBytes | undefined {
  try {
    const r = protobuf.Reader.create(payload);
    const tag = r.uint32();
    if (tag === ((1 << 3) | 2)) return undefined;
    if (tag !== ((2 << 3) | 2)) throw new RecordDecodeError(`unknown record field tag ${tag}`);
    const len = r.uint32();
    const end = r.pos + len;
    if (end !== payload.length)
      throw new RecordDecodeError(`episode length ${len} does not match record size`);
    const empty = payload.subarray(0, 0);
    const out: EpisodeColumnBytes = {
      index: 0,
      steps: 0,
      firstStep: 0,
      continues: false,
      observations: empty,
      actionsNormalized: empty,
      rewards: empty,
      terminals: empty,
      timeouts: empty,
    };
    while (r.pos < end) {
      const t = r.uint32();
      const field = t >>> 3;
      if (field === 1) out.index = Number(r.uint64());
      else if (field === 2) out.steps = r.uint32();
      else if (field === 14) out.firstStep = r.uint32();
      else if (field === 15) out.continues = r.bool();
      else if (field === 3 || field === 5 || field === 6 || field === 7 || field === 8) {
        if ((t & 7) !== 2)
          throw new RecordDecodeError(`field ${field} is not length-delimited (wire type ${t & 7})`);
        const n = r.uint32();
        if (r.pos + n > end) throw new RecordDecodeError(`field ${field} runs past the record end`);
        const view = payload.subarray(r.pos, r.pos + n);
        r.pos += n;
        if (field === 3) out.observations = view;
        else if (field === 5) out.actionsNormalized = view;
        else if (field === 6) out.rewards = view;
        else if (field === 7) out.terminals = view;
        else out.timeouts = view;
      } else r.skipType(t & 7);
    }
    return out;
  } catch (err) {
    if (err instanceof RecordDecodeError) throw err;
    throw new RecordDecodeError((err as Error).message);
  }
}
