/**
 * The engine keeps each parameter group as one flat state tensor and cuts it into layers inside the graph
 * (ParamGroup.unpack, one Split): the cut tensors must be exactly the mlp-spec.ts layout's pieces.
 */
import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/core/rng.js";
import { ParamGroup } from "../../../src/rl/networks/graph-mlp.js";
import { Graph } from "../../../src/tensor/graph.js";
import { Program } from "../../../src/tensor/program.js";

const ENGINE = { device: "cpu" as const, threads: 1 };

describe("ParamGroup.unpack", () => {
  it("cuts a flat state tensor into the layout's tensors, run by ONNX Runtime", () => {
    const group = new ParamGroup("q", [
      { sizes: [5, 7, 1], hidden: "relu", output: "linear" },
      { sizes: [5, 3, 2], hidden: "relu", output: "linear" },
    ]);
    const rng = new Rng(4);
    const flat = Float32Array.from({ length: group.size }, () => rng.normal());
    const g = new Graph("unpack");
    const input = g.input("q/params", [group.size]);
    const pieces = group.unpack(g, input);
    // Identity keeps each piece a distinct graph output even where unpack returned the flat input itself.
    const outputs = Object.fromEntries(pieces.map((v, i) => [`t${i}`, g.identity(v)]));
    const program = new Program(
      { graph: g, state: [{ name: "q/params", input }], outputs },
      { "q/params": flat },
      ENGINE,
    );
    const out = program.run({});
    const expected = Object.values(group.split(flat));
    expect(pieces.map((v) => v.shape)).toEqual(group.shapes());
    pieces.forEach((_, i) => expect(Array.from(out[`t${i}`])).toEqual(Array.from(expected[i])));
    // Net 1's layers are the second half of the pieces.
    expect(group.layers(pieces, 1)[0].w.name).toBe(pieces[4].name);
    program.dispose();
  });

  it("refuses a flat value of the wrong size, and Split sizes that do not partition the axis", () => {
    const group = new ParamGroup("v", [{ sizes: [2, 2, 1], hidden: "relu", output: "linear" }]);
    const g = new Graph("bad");
    expect(() => group.unpack(g, g.input("v/params", [group.size + 1]))).toThrow(/v flat parameters/);
    expect(() => g.split(g.input("x", [6]), 0, [2, 3])).toThrow(/do not partition/);
  });
});
