import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Rng } from "../../src/core/rng.js";
import { ACTIVATIONS, DenseForward, type DenseLayerWeights } from "../../src/policy/network.js";
import { randomLayers } from "./helpers.js";

/** The straightforward forward pass DenseForward replaced: one input at a time, float32 weights read as is. */
function reference(layers: DenseLayerWeights[], input: ArrayLike<number>): Float64Array {
  let x = Float64Array.from(input);
  for (const { weight, bias, inDim, outDim, activation } of layers) {
    const y = Float64Array.from(bias);
    for (let i = 0; i < inDim; i++) {
      if (x[i] === 0) continue;
      for (let j = 0; j < outDim; j++) y[j] += x[i] * weight[i * outDim + j];
    }
    if (activation === "relu") for (let j = 0; j < outDim; j++) y[j] = y[j] < 0 ? 0 : y[j];
    if (activation === "tanh") for (let j = 0; j < outDim; j++) y[j] = Math.tanh(y[j]);
    x = y;
  }
  return x;
}

/** Same value, bit for bit (NaN equals NaN, 0 and -0 differ). */
const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
  a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

const special = fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1e300, -1e-300);
const inputValue = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -5, max: 5, noNaN: true }) },
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: special },
);

describe("DenseForward", () => {
  it("equals the one-input-at-a-time loop bit for bit (random shapes, zeros, NaN, ±Inf, -0)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 41 }), { minLength: 2, maxLength: 4 }),
        fc.array(fc.constantFrom(...ACTIVATIONS), { minLength: 3, maxLength: 3 }),
        fc.integer(),
        fc.array(inputValue, { minLength: 41, maxLength: 41 }),
        (dims, acts, seed, values) => {
          const layers = randomLayers(new Rng(seed), dims, acts.slice(0, dims.length - 1));
          const net = new DenseForward(layers);
          const input = values.slice(0, dims[0]);
          // Twice: the second call must not see anything the first left in the scratch buffers.
          expect(sameBits(net.forward(input), reference(layers, input))).toBe(true);
          const again = input.map((v) => (Number.isFinite(v) ? -v : v));
          expect(sameBits(net.forward(again), reference(layers, again))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("equals it on a 2x256 policy over many ReLU patterns, whatever array type the input comes in", () => {
    const rng = new Rng(5);
    const layers = randomLayers(rng, [17, 256, 256, 6], ["relu", "relu", "tanh"]);
    const net = new DenseForward(layers);
    let differing = 0;
    for (let t = 0; t < 200; t++) {
      const input = Float32Array.from({ length: 17 }, () => rng.normal(0, 2));
      const want = reference(layers, input);
      if (!sameBits(net.forward(input), want)) differing++;
      if (!sameBits(net.forward(Float64Array.from(input)), want)) differing++;
      if (!sameBits(net.forward(Array.from(input)), want)) differing++;
    }
    expect(differing).toBe(0);
  });

  it("keeps a NaN input visible in the output (the shield, not the network, handles it)", () => {
    const layers = randomLayers(new Rng(1), [3, 16, 2], ["linear", "linear"]);
    const out = new DenseForward(layers).forward([0.5, NaN, 0]);
    expect(Array.from(out).every(Number.isNaN)).toBe(true);
  });
});
