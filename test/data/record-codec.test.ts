import { describe, expect, it } from "vitest";
import { Rng } from "../../src/core/rng.js";
import { protoTypes, type EpisodeRecord } from "../../src/data/proto.js";
import {
  decodeRecord,
  encodeEpisode,
  encodeHeader,
  episodeToPlain,
  RecordDecodeError,
} from "../../src/data/record-codec.js";
import { randomEpisode } from "./helpers.js";

function episode(seed: number, steps: number): EpisodeRecord {
  const e = randomEpisode(new Rng(seed), steps);
  return {
    index: 7,
    steps,
    observations: Float32Array.from(e.observations),
    actions: Float32Array.from(e.actions),
    actionsNormalized: Float32Array.from(e.actions, (a) => a / 10),
    rewards: Float32Array.from(e.rewards),
    terminals: e.terminals,
    timeouts: e.timeouts,
    timestamps: Float64Array.from(e.timestamps),
    behavior: "expert",
    termination: "fell",
    quality: 0.75,
    seed: 12345678901,
    firstStep: 0,
    continues: false,
  };
}

/** A middle fragment of a long episode: every field set, the version-2 ones included. */
function fragment(seed: number, steps: number): EpisodeRecord {
  return { ...episode(seed, steps), firstStep: 3_000_000, continues: true };
}

describe("record codec", () => {
  it("fast episode encoding decodes identically with the protobufjs reflection types", () => {
    const ep = episode(1, 13);
    const { Record } = protoTypes();
    const obj = Record.toObject(Record.decode(encodeEpisode(ep)), {
      longs: Number,
      arrays: true,
      defaults: true,
      bytes: Array,
    });
    expect(obj.episode.steps).toBe(13);
    expect(obj.episode.seed).toBe(12345678901);
    expect(obj.episode.observations).toEqual(Array.from(ep.observations));
    expect(obj.episode.timestamps).toEqual(Array.from(ep.timestamps));
    expect(obj.episode.terminals).toEqual(Array.from(ep.terminals));
    expect(obj.episode.termination).toBe("fell");
  });

  it("decodes what protobufjs encodes (wire compatibility in the other direction)", () => {
    const ep = episode(2, 5);
    const { Record } = protoTypes();
    const bytes = Record.encode(Record.fromObject({ episode: episodeToPlain(ep) })).finish();
    const d = decodeRecord(bytes);
    expect(d.kind).toBe("episode");
    if (d.kind !== "episode") return;
    expect(d.episode.observations).toEqual(ep.observations);
    expect(d.episode.actions).toEqual(ep.actions);
    expect(d.episode.rewards).toEqual(ep.rewards);
    expect(d.episode.timeouts).toEqual(ep.timeouts);
    expect(d.episode.quality).toBe(0.75);
    expect(d.episode.behavior).toBe("expert");
  });

  it("encodes a fragment byte-identically to protobufjs, and each decodes the other's bytes", () => {
    const ep = fragment(4, 6);
    const { Record } = protoTypes();
    const reference = Record.encode(Record.fromObject({ episode: episodeToPlain(ep) })).finish();
    const fast = encodeEpisode(ep);
    expect(Buffer.from(fast).equals(Buffer.from(reference))).toBe(true);
    const obj = Record.toObject(Record.decode(fast), { longs: Number, defaults: true });
    expect(obj.episode.firstStep).toBe(3_000_000);
    expect(obj.episode.continues).toBe(true);
    const d = decodeRecord(reference);
    if (d.kind !== "episode") throw new Error("expected an episode");
    expect(d.episode.firstStep).toBe(3_000_000);
    expect(d.episode.continues).toBe(true);
    expect(d.episode.observations).toEqual(ep.observations);
  });

  it("writes a whole episode exactly as version 1 did: no fragment fields on the wire", () => {
    const ep = episode(5, 4);
    const { Record } = protoTypes();
    const { firstStep: _f, continues: _c, ...v1 } = episodeToPlain(ep);
    const v1Bytes = Record.encode(Record.fromObject({ episode: v1 })).finish();
    expect(Buffer.from(encodeEpisode(ep)).equals(Buffer.from(v1Bytes))).toBe(true);
  });

  it("round-trips a chunk header", () => {
    const header = {
      schemaVersion: 1,
      chunkIndex: 3,
      obsDim: 2,
      actDim: 1,
      obsNames: ["a", "b"],
      actNames: ["u"],
      actionRanges: [-3, 3],
      provenance: {
        robot: "r",
        source: "s",
        recorderVersion: "v",
        behavior: "medium",
        createdAt: "2026-01-01T00:00:00Z",
        host: "h",
      },
    };
    const d = decodeRecord(encodeHeader(header));
    expect(d).toEqual({ kind: "header", header });
  });

  it("rejects an unknown record tag and a truncated episode", () => {
    expect(() => decodeRecord(Uint8Array.of(0x1a, 0))).toThrow(/unknown record field tag 26/);
    const bytes = encodeEpisode(episode(3, 4));
    expect(() => decodeRecord(bytes.subarray(0, bytes.length - 5))).toThrow(RecordDecodeError);
  });
});
