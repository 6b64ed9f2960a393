import { describe, expect, it } from "vitest";
import { gradients } from "../../src/tensor/autodiff.js";
import { Graph } from "../../src/tensor/graph.js";
import { adamInputs, adamScalars, adamUpdate, polyakUpdate, ADAM_DEFAULTS } from "../../src/tensor/optim.js";
import { Program, StateStore } from "../../src/tensor/program.js";

const ENGINE = { device: "cpu" as const, threads: 1 };

/** Σ (p - c)² minimized by in-graph Adam, with a Polyak target following p; float64 throughout. */
function quadratic() {
  const g = new Graph("quadratic", "float64");
  const p = g.input("p", [3]);
  const m = g.input("m", [3]);
  const v = g.input("v", [3]);
  const target = g.input("target", [3]);
  const c = g.constant([1, -2, 0.5], [3]);
  const loss = g.sum(g.square(g.sub(p, c)));
  const [grad] = gradients(g, loss, [p]);
  const next = adamUpdate(g, { param: p, m, v }, grad, adamInputs(g, "adam"), { ...ADAM_DEFAULTS, lr: 0.1 });
  const state = [
    { name: "p", input: p, next: next.param },
    { name: "m", input: m, next: next.m },
    { name: "v", input: v, next: next.v },
    { name: "target", input: target, next: polyakUpdate(g, target, next.param, 0.5) },
  ];
  return { g, state, outputs: { loss } };
}

describe("Program", () => {
  it("keeps state between runs: in-graph Adam and Polyak equal torch's formulas step by step", () => {
    const { g, state, outputs } = quadratic();
    const zeros = new Float64Array(3);
    const program = new Program(
      { graph: g, state, outputs },
      { p: Float64Array.of(0, 0, 0), m: zeros, v: zeros, target: zeros },
      ENGINE,
    );
    const p = [0, 0, 0];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    const target = [0, 0, 0];
    const c = [1, -2, 0.5];
    for (let t = 1; t <= 20; t++) {
      const { stepSize, epsHat } = adamScalars({ ...ADAM_DEFAULTS, lr: 0.1 }, t);
      const out = program.run({
        "adam/step_size": Float64Array.of(stepSize),
        "adam/eps_hat": Float64Array.of(epsHat),
      });
      expect(out.loss[0]).toBeCloseTo(
        p.reduce((s, x, i) => s + (x - c[i]) ** 2, 0),
        10,
      );
      for (let i = 0; i < 3; i++) {
        const grad = 2 * (p[i] - c[i]);
        m[i] = 0.9 * m[i] + 0.1 * grad;
        v[i] = 0.999 * v[i] + 0.001 * grad * grad;
        const mHat = m[i] / (1 - 0.9 ** t);
        const vHat = v[i] / (1 - 0.999 ** t);
        p[i] -= (0.1 * mHat) / (Math.sqrt(vHat) + 1e-8);
        target[i] += 0.5 * (p[i] - target[i]);
      }
      Array.from(program.read("p")).forEach((x, i) => expect(x).toBeCloseTo(p[i], 10));
      Array.from(program.read("target")).forEach((x, i) => expect(x).toBeCloseTo(target[i], 10));
    }
    program.dispose();
  });

  it("shares one StateStore between programs: a write is seen by the next run of either", () => {
    const store = new StateStore("float32");
    store.add("w", [1, 2], [2]);
    const make = (scale: number) => {
      const g = new Graph(`scale${scale}`);
      const w = g.input("w", [2]);
      return new Program(
        { graph: g, state: [{ name: "w", input: w, next: g.mul(w, scale) }], outputs: { s: g.sum(w) } },
        store,
        ENGINE,
      );
    };
    const [double, triple] = [make(2), make(3)];
    expect(double.run({}).s[0]).toBe(3);
    expect(Array.from(store.read("w"))).toEqual([2, 4]);
    expect(triple.run({}).s[0]).toBe(6);
    expect(Array.from(store.read("w"))).toEqual([6, 12]);
    store.write("w", [1, 1]);
    expect(double.run({}).s[0]).toBe(2);
    expect(() => store.write("w", [1])).toThrow("state w: expected 2, got 1");
  });

  it("rejects a missing or misshaped input, naming the graph and the input", () => {
    const g = new Graph("feeds");
    const x = g.input("x", [2, 3]);
    const program = new Program({ graph: g, state: [], outputs: { y: g.sum(x) } }, {}, ENGINE);
    expect(() => program.run({})).toThrow("feeds: input x was not fed");
    expect(() => program.run({ x: new Float32Array(5) })).toThrow("feeds input x [2, 3]: expected 6, got 5");
    expect(program.run({ x: Float32Array.of(1, 2, 3, 4, 5, 6) }).y[0]).toBe(21);
  });

  it("hands ONNX Runtime only the nodes an output or a next state needs", () => {
    const g = new Graph("dead");
    const w = g.input("w", [3, 3]);
    const x = g.input("x", [2, 3]);
    const loss = g.sum(g.square(g.matmul(x, w)));
    // Autodiff emits the Gemm's input gradient too; x is data, so nothing reads it.
    const [dw] = gradients(g, loss, [w]);
    const unused = g.exp(g.matmul(x, w));
    const program = new Program(
      { graph: g, state: [{ name: "w", input: w, next: g.sub(w, g.mul(dw, 0.1)) }], outputs: { loss } },
      { w: Float32Array.from({ length: 9 }, (_, i) => i / 9) },
      ENGINE,
    );
    const built = g.nodes.length;
    expect(g.nodes.some((n) => n.outputs[0].name === unused.name)).toBe(true);
    // Kept: Gemm, Mul (square), ReduceSum, the dW chain; dropped: Exp, its Gemm and the unused dX Gemm.
    expect(program.nodeCount).toBeLessThanOrEqual(built - 3);
    const x0 = Float32Array.of(1, 0, 0, 0, 1, 0);
    const before = program.run({ x: x0 }).loss[0];
    expect(program.run({ x: x0 }).loss[0]).toBeLessThan(before);
    program.dispose();
  });

  it("reads a fed buffer's current contents on every run, also when the same buffer is fed again", () => {
    const g = new Graph("refeed");
    const x = g.input("x", [3]);
    const program = new Program({ graph: g, state: [], outputs: { s: g.sum(x) } }, {}, ENGINE);
    const buf = Float32Array.of(1, 2, 3);
    expect(program.run({ x: buf }).s[0]).toBe(6);
    buf[0] = 10;
    expect(program.run({ x: buf }).s[0]).toBe(15);
    expect(program.run({ x: Float32Array.of(0, 0, 1) }).s[0]).toBe(1);
    expect(program.run({ x: buf }).s[0]).toBe(15);
    program.dispose();
  });
});
