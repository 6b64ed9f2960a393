import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gradients } from "../../src/tensor/autodiff.js";
import { causalMask, gelu, softmax } from "../../src/tensor/layers.js";
import { Graph, sizeOf, type FloatType, type Value } from "../../src/tensor/graph.js";
import { layerNorm, layerNormComposite } from "../../src/tensor/layer-norm.js";
import { Program } from "../../src/tensor/program.js";

/**
 * Each op's gradient rule against central finite differences of the same graph run by ONNX Runtime.
 * Float64 where ONNX Runtime's CPU kernels have a double version (differences with h = 1e-6 are then good to
 * ~1e-8); float32 otherwise, with h = 1e-2 and a tolerance that covers float32 rounding of the loss.
 */
type Build = (g: Graph, xs: Value[]) => Value;

interface Case {
  shapes: number[][];
  values: number[][];
  weights: number[];
}

function gradCheck(build: Build, c: Case, dtype: FloatType = "float64"): void {
  const g = new Graph("check", dtype);
  const xs = c.shapes.map((s, i) => g.input(`x${i}`, s));
  const y = build(g, xs);
  const loss = g.sum(g.mul(y, g.constant(c.weights.slice(0, sizeOf(y.shape)), y.shape)));
  const grads = gradients(g, loss, xs);
  const outputs: Record<string, Value> = { loss };
  grads.forEach((d, i) => (outputs[`d${i}`] = d));
  const program = new Program({ graph: g, state: [], outputs }, {}, { device: "cpu", threads: 1 });
  const Arr = dtype === "float64" ? Float64Array : Float32Array;
  const feeds = Object.fromEntries(c.values.map((v, i) => [`x${i}`, Arr.from(v)]));
  const out = program.run(feeds);
  const analytic = grads.map((_, i) => Array.from(out[`d${i}`]));
  const h = dtype === "float64" ? 1e-6 : 1e-2;
  const [atol, rtol] = dtype === "float64" ? [1e-6, 1e-5] : [2e-2, 2e-2];
  c.values.forEach((v, i) => {
    for (let k = 0; k < v.length; k++) {
      const at = (delta: number): number => {
        const x = Arr.from(v);
        x[k] += delta;
        return program.run({ ...feeds, [`x${i}`]: x }).loss[0];
      };
      const fd = (at(h) - at(-h)) / (2 * h);
      expect(
        Math.abs(analytic[i][k] - fd),
        `d x${i}[${k}]: analytic ${analytic[i][k]} vs ${fd}`,
      ).toBeLessThanOrEqual(atol + rtol * Math.abs(fd));
    }
  });
  program.dispose();
}

const dim = fc.integer({ min: 1, max: 4 });
const value = fc.double({ min: -2, max: 2, noNaN: true });
const away = (kinks: number[], gap = 1e-3) => value.filter((x) => kinks.every((k) => Math.abs(x - k) > gap));

function arrays(shapes: number[][], v: fc.Arbitrary<number> = value): fc.Arbitrary<Case> {
  const out = Math.max(...shapes.map(sizeOf), 16) * 4;
  return fc.record({
    shapes: fc.constant(shapes),
    values: fc.tuple(...shapes.map((s) => fc.array(v, { minLength: sizeOf(s), maxLength: sizeOf(s) }))),
    weights: fc.array(value, { minLength: out, maxLength: out }),
  });
}

function prop(
  shapes: fc.Arbitrary<number[][]>,
  build: Build,
  v?: fc.Arbitrary<number>,
  dtype?: FloatType,
): void {
  fc.assert(
    fc.property(
      shapes.chain((s) => arrays(s, v)),
      (c) => gradCheck(build, c, dtype),
    ),
    { numRuns: 12, seed: 19 },
  );
}

const matrix = fc.tuple(dim, dim).map(([a, b]) => [[a, b]]);
/** Two shapes that broadcast: [r, c] with [r, c], [1, c], [r, 1], [c] or []. */
const broadcastPair = fc
  .tuple(dim, dim, fc.integer({ min: 0, max: 4 }))
  .map(([r, c, k]) => [[r, c], [[r, c], [1, c], [r, 1], [c], []][k]]);

describe("gradients match finite differences", () => {
  it("Add, Sub, Mul with broadcasting", () => {
    prop(broadcastPair, (g, [a, b]) => g.add(g.mul(a, b), g.sub(b, a)));
  });
  it("Div (denominators away from 0)", () => {
    prop(broadcastPair, (g, [a, b]) => g.div(a, b), away([0], 0.3));
  });
  it("elementwise Min and Max (operands apart)", () => {
    prop(
      broadcastPair,
      (g, [a, b]) => g.add(g.min(a, b), g.mul(g.max(a, b), 3)),
      fc.integer({ min: -40, max: 40 }).map((i) => i / 10 + 0.013 * (i % 7)),
    );
  });
  it("Neg, Square, Pow, Abs", () => {
    prop(matrix, (g, [x]) => g.add(g.neg(g.square(x)), g.add(g.pow(g.abs(x), 1.5), g.abs(x))), away([0]));
  });
  it("Relu, Tanh, Sigmoid, Exp", () => {
    prop(matrix, (g, [x]) => g.add(g.add(g.relu(x), g.tanh(x)), g.add(g.sigmoid(x), g.exp(x))), away([0]));
  });
  it("Log and Sqrt on positive values", () => {
    prop(matrix, (g, [x]) => g.add(g.log(x), g.sqrt(x)), fc.double({ min: 0.2, max: 3, noNaN: true }));
  });
  it("Softplus (float32: ONNX Runtime has no double kernel)", () => {
    prop(matrix, (g, [x]) => g.softplus(x), value, "float32");
  });
  it("Clip (values away from the bounds)", () => {
    prop(matrix, (g, [x]) => g.clip(x, -0.5, 1), away([-0.5, 1]));
  });
  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ]) {
    it(`Gemm with bias, transA ${ta}, transB ${tb}`, () => {
      const shapes = fc
        .tuple(dim, dim, dim)
        .map(([m, k, n]) => [ta ? [k, m] : [m, k], tb ? [n, k] : [k, n], [n]]);
      prop(shapes, (g, [a, b, c]) => g.gemm(a, b, c, ta, tb));
    });
  }
  it("batched MatMul, 3-D by 3-D", () => {
    const shapes = fc.tuple(dim, dim, dim, dim).map(([b, m, k, n]) => [
      [b, m, k],
      [b, k, n],
    ]);
    prop(shapes, (g, [a, b]) => g.batchMatmul(a, b));
  });
  it("batched MatMul, 4-D by 4-D (attention heads) and 3-D by a shared matrix", () => {
    const shapes = fc.tuple(dim, dim, dim, dim).map(([b, h, m, k]) => [
      [b, h, m, k],
      [b, h, k, m],
      [k, h],
    ]);
    prop(shapes, (g, [a, b, w]) => {
      const s = g.batchMatmul(a, b);
      const flat = g.reshape(a, [a.shape[0] * a.shape[1], a.shape[2], a.shape[3]]);
      return g.add(g.sum(s), g.sum(g.batchMatmul(flat, w)));
    });
  });
  it("Erf and exact GELU (float32: ONNX Runtime has no double Erf kernel)", () => {
    prop(matrix, (g, [x]) => g.add(g.erf(x), gelu(g, x)), value, "float32");
  });
  it("GELU's own gradient rule equals the per-op rules' gradient of the same composite, tails included", () => {
    // The float32 differences above are coarse (h = 1e-2); the per-op rules (Mul, Add, Erf) are each held
    // to float64 differences, so their gradient of x·0.5·(1 + erf(x/√2)) is the reference here.
    const run = (build: (g: Graph, x: Value) => Value, xs: number[], w: number[]) => {
      const g = new Graph("gelu", "float32");
      const x = g.input("x", [xs.length]);
      const y = build(g, x);
      const [dx] = gradients(g, g.sum(g.mul(y, g.constant(w, [w.length]))), [x]);
      const program = new Program(
        { graph: g, state: [], outputs: { y, dx } },
        {},
        { device: "cpu", threads: 1 },
      );
      const out = program.run({ x: Float32Array.from(xs) });
      const copy = { y: Array.from(out.y), dx: Array.from(out.dx), ops: g.nodes.length };
      program.dispose();
      return copy;
    };
    const composite = (g: Graph, x: Value) => g.mul(g.mul(x, 0.5), g.add(g.erf(g.mul(x, Math.SQRT1_2)), 1));
    const cases = fc
      .integer({ min: 1, max: 40 })
      .chain((n) =>
        fc.tuple(
          fc.array(fc.double({ min: -9, max: 9, noNaN: true }), { minLength: n, maxLength: n }),
          fc.array(value, { minLength: n, maxLength: n }),
        ),
      );
    fc.assert(
      fc.property(cases, ([xs, w]) => {
        const own = run(gelu, xs, w);
        const reference = run(composite, xs, w);
        expect(own.ops).toBeLessThan(reference.ops);
        for (const k of ["y", "dx"] as const)
          own[k].forEach((v, i) => {
            const e = reference[k][i];
            expect(Math.abs(v - e), `${k}[${i}] at x = ${xs[i]}: ${v} vs ${e}`).toBeLessThanOrEqual(
              1e-6 + 1e-5 * Math.abs(e),
            );
          });
      }),
      { numRuns: 20, seed: 29 },
    );
  });
  it("softmax over the last axis (ONNX Softmax and its rule), with a causal mask added", () => {
    const shapes = fc.tuple(dim, dim).map(([b, t]) => [[b, t, t]]);
    prop(shapes, (g, [x]) => softmax(g, g.add(x, causalMask(g, x.shape[1]))));
  });
  it("softmax's rule equals the per-op rules' gradient of the max-shifted composite, large scores included", () => {
    const run = (fused: boolean, rows: number, cols: number, xs: number[], w: number[]) => {
      const g = new Graph("softmax", "float64");
      const x = g.input("x", [rows, cols]);
      const e = g.exp(g.sub(x, g.maxNoGrad(x, [1], true)));
      const y = fused ? softmax(g, x) : g.div(e, g.sum(e, [1], true));
      const [dx] = gradients(g, g.sum(g.mul(y, g.constant(w, [rows, cols]))), [x]);
      const program = new Program(
        { graph: g, state: [], outputs: { y, dx } },
        {},
        { device: "cpu", threads: 1 },
      );
      const out = program.run({ x: Float64Array.from(xs) });
      const copy = { y: Array.from(out.y), dx: Array.from(out.dx), ops: g.nodes.map((n) => n.op) };
      program.dispose();
      return copy;
    };
    const cases = fc
      .tuple(dim, fc.integer({ min: 1, max: 8 }))
      .chain(([r, c]) =>
        fc.tuple(
          fc.constant([r, c]),
          fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: r * c, maxLength: r * c }),
          fc.array(value, { minLength: r * c, maxLength: r * c }),
        ),
      );
    fc.assert(
      fc.property(cases, ([[r, c], xs, w]) => {
        const own = run(true, r, c, xs, w);
        const reference = run(false, r, c, xs, w);
        expect(own.ops).toContain("Softmax");
        for (const k of ["y", "dx"] as const)
          own[k].forEach((v, i) => {
            const e = reference[k][i];
            expect(Math.abs(v - e), `${k}[${i}]: ${v} vs ${e}`).toBeLessThanOrEqual(
              1e-12 + 1e-9 * Math.abs(e),
            );
          });
      }),
      { numRuns: 20, seed: 31 },
    );
  });
  it("Gather of table rows: the gradient adds into every row picked, repeats included", () => {
    const shapes = fc.tuple(dim, dim, dim).map(([b, n, d]) => [
      [n, d],
      [b + 2, 1],
    ]);
    prop(shapes, (g, [table, x]) => {
      const n = table.shape[0];
      const rows = Array.from({ length: x.shape[0] }, (_, i) => (i * 7) % n);
      const indices: Value = { name: "rows", shape: [1, rows.length], kind: "int64" };
      g.initializers.push({
        name: "rows",
        dtype: "int64",
        dims: [1, rows.length],
        data: BigInt64Array.from(rows.map(BigInt)),
      });
      return g.mul(g.gather(table, indices), g.reshape(x, [1, x.shape[0], 1]));
    });
  });
  it("ReduceSum and ReduceMean over axes, kept or not", () => {
    const shapes = fc.tuple(dim, dim, dim).map(([a, b, c]) => [[a, b, c]]);
    prop(shapes, (g, [x]) => g.add(g.sum(g.sum(x, [1], true), [0, 2]), g.mean(g.mean(x, [2]), [0])));
  });
  it("logsumexp (max-shifted composite)", () => {
    prop(matrix, (g, [x]) => g.logSumExp(x, 1), fc.double({ min: -30, max: 30, noNaN: true }));
  });
  it("layer norm (composite: mean, variance, normalize, gain and bias), over rows of 2+ features", () => {
    const shapes = fc.tuple(dim, fc.integer({ min: 2, max: 5 })).map(([r, c]) => [[r, c], [c], [c]]);
    prop(shapes, (g, [x, gain, bias]) => layerNorm(g, x, gain, bias));
  });
  it("ONNX LayerNormalization (float32) equals the float64 composite, forward and gradients", () => {
    // Float32 finite differences are too coarse for a layer norm over 2 features; the composite's
    // gradients are checked against float64 differences above, so they are the reference here.
    const run = (dtype: FloatType, rows: number, cols: number, values: number[][]) => {
      const g = new Graph(`ln_${dtype}`, dtype);
      const [x, gain, bias] = [g.input("x", [rows, cols]), g.input("gain", [cols]), g.input("bias", [cols])];
      const y = dtype === "float32" ? layerNorm(g, x, gain, bias) : layerNormComposite(g, x, gain, bias);
      const w = g.constant(
        Array.from({ length: rows * cols }, (_, i) => Math.sin(i)),
        [rows, cols],
      );
      const loss = g.sum(g.mul(g.square(y), w));
      const [dx, dgain, dbias] = gradients(g, loss, [x, gain, bias]);
      const program = new Program(
        { graph: g, state: [], outputs: { y, dx, dgain, dbias } },
        {},
        { device: "cpu", threads: 1 },
      );
      const Arr = dtype === "float32" ? Float32Array : Float64Array;
      const out = program.run({
        x: Arr.from(values[0]),
        gain: Arr.from(values[1]),
        bias: Arr.from(values[2]),
      });
      const copy = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.from(v)]));
      program.dispose();
      return { copy, ops: g.nodes.map((n) => n.op) };
    };
    const cases = fc
      .tuple(dim, fc.integer({ min: 2, max: 6 }))
      .chain(([r, c]) =>
        fc.tuple(
          fc.constant([r, c]),
          fc.tuple(
            fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: r * c, maxLength: r * c }),
            fc.array(value, { minLength: c, maxLength: c }),
            fc.array(value, { minLength: c, maxLength: c }),
          ),
        ),
      )
      // Rows of (nearly) equal values have a huge 1/σ: float32 cannot match float64 there.
      .filter(([[r, c], [x]]) =>
        Array.from({ length: r }, (_, i) => x.slice(i * c, (i + 1) * c)).every(
          (row) => Math.max(...row) - Math.min(...row) > 0.1,
        ),
      );
    fc.assert(
      fc.property(cases, ([[r, c], values]) => {
        const fused = run("float32", r, c, values);
        const reference = run("float64", r, c, values);
        expect(fused.ops).toContain("LayerNormalization");
        expect(reference.ops).not.toContain("LayerNormalization");
        for (const k of ["y", "dx", "dgain", "dbias"])
          fused.copy[k].forEach((v, i) => {
            const e = reference.copy[k][i];
            expect(Math.abs(v - e), `${k}[${i}]: ${v} vs ${e}`).toBeLessThanOrEqual(
              1e-3 + 1e-3 * Math.abs(e),
            );
          });
      }),
      { numRuns: 20, seed: 23 },
    );
  });
  it("layer norm's forward pass equals numpy's (x - mean) / sqrt(var + 1e-5) · gain + bias", () => {
    const g = new Graph("ln", "float64");
    const x = g.input("x", [2, 4]);
    const y = layerNorm(g, x, g.constant([1, 2, 0.5, -1], [4]), g.constant([0, 0.1, -0.2, 0.3], [4]));
    const program = new Program({ graph: g, state: [], outputs: { y } }, {}, { device: "cpu", threads: 1 });
    const out = program.run({ x: Float64Array.of(1, 2, 4, 9, -1, 0.5, 0.5, 3) }).y;
    // numpy: ((x - x.mean(1)) / np.sqrt(x.var(1) + 1e-5)) * gain + bias
    const expected = [
      -0.9733280145, -1.197770686, -0.2, -1.3222133575, -1.2185406377, -0.2481544679, -0.287038617,
      -1.2666951056,
    ];
    expected.forEach((e, i) => expect(out[i]).toBeCloseTo(e, 8));
    program.dispose();
  });
  it("Concat, Slice, Reshape, Transpose, Expand", () => {
    const shapes = fc.tuple(dim, dim, dim).map(([r, a, b]) => [
      [r, a],
      [r, b],
    ]);
    prop(shapes, (g, [a, b]) => {
      const c = g.concat([a, b], 1);
      const s = g.slice(c, 1, 1, c.shape[1]);
      const t = g.transpose(g.reshape(s, [s.shape[0], s.shape[1], 1]), [2, 1, 0]);
      return g.mul(g.expand(t, [2, ...t.shape.slice(1)]), 2);
    });
  });
  it("Split: each piece's gradient lands in its place, zeros for a piece the loss does not read", () => {
    const shapes = fc.tuple(dim, dim, dim, dim).map(([r, a, b, c]) => [[r, a + b + c]]);
    prop(shapes, (g, [x]) => {
      const [p, , q] = g.split(x, 1, [1, x.shape[1] - 2, 1]);
      return g.add(g.mul(g.exp(p), 2), g.square(q));
    });
    prop(shapes, (g, [x]) => {
      const [p, q, r] = g.split(x, 1, [1, 1, x.shape[1] - 2]);
      return g.concat([g.mul(q, p), g.tanh(r), p], 1);
    });
  });
  it("stopGradient and lessMask pass no gradient: d/dx Σ w·(sg(exp x)·x + mask(x < 0)) = w·exp(x)", () => {
    const g = new Graph("sg", "float64");
    const x = g.input("x", [5]);
    const w = [0.5, -1, 2, 3, -0.25];
    const y = g.add(g.mul(g.stopGradient(g.exp(x)), x), g.lessMask(x, 0));
    const loss = g.sum(g.mul(y, g.constant(w, [5])));
    const [dx] = gradients(g, loss, [x]);
    const program = new Program({ graph: g, state: [], outputs: { dx } }, {}, { device: "cpu", threads: 1 });
    const xs = [-1, -0.5, 0.25, 1, 2];
    const got = Array.from(program.run({ x: Float64Array.from(xs) }).dx);
    got.forEach((v, i) => expect(v).toBeCloseTo(w[i] * Math.exp(xs[i]), 12));
  });
});

describe("Where", () => {
  it("routes the gradient to the chosen branch", () => {
    prop(
      fc.tuple(dim, dim).map(([r, c]) => [
        [r, c],
        [r, c],
        [r, c],
      ]),
      (g, [c, a, b]) => g.where(g.compare("Less", c, g.constant(0)), g.mul(a, b), g.exp(b)),
      away([0]),
    );
  });
});
