import { describe, expect, it } from "vitest";
import { NotAvailableError } from "../../src/core/errors.js";
import { encodeModel } from "../../src/tensor/onnx-model.js";
import { createSyncSession, probeCuda, resolveDevice } from "../../src/tensor/session.js";

// These run on a CPU-only install of onnxruntime-node (the project's .npmrc skips the CUDA download).
describe("device selection", () => {
  it("defaults to CPU on all cores and says why CUDA was not chosen", () => {
    expect(probeCuda().available).toBe(false);
    const d = resolveDevice({}, 2);
    expect(d).toMatchObject({ device: "cpu", threads: 2 });
    expect(d.description).toMatch(
      /^engine: onnxruntime-cpu, 2 threads \(CUDA not available: no libonnxruntime_providers_cuda\.so .+; all 2 cores\)$/,
    );
    expect(resolveDevice({ device: "cpu", threads: 1 }, 2).description).toBe(
      "engine: onnxruntime-cpu, 1 thread (--device cpu; --threads)",
    );
  });

  it("refuses --device cuda without the provider, with the install hint", () => {
    expect(() => resolveDevice({ device: "cuda" }, 2)).toThrow(NotAvailableError);
    expect(() => resolveDevice({ device: "cuda" }, 2)).toThrow(/--onnxruntime-node-install=cuda12/);
  });

  it("a session asked for CUDA fails in ONNX Runtime itself, as a NotAvailableError", () => {
    const bytes = encodeModel({
      graphName: "neg",
      inputs: [{ name: "x", dtype: "float32", shape: [1] }],
      outputs: [{ name: "y", dtype: "float32", shape: [1] }],
      nodes: [{ op: "Neg", inputs: ["x"], outputs: ["y"] }],
    });
    expect(() => createSyncSession(bytes, { device: "cuda", threads: 1 })).toThrow(NotAvailableError);
    expect(createSyncSession(bytes, { device: "cpu", threads: 1 })).toBeDefined();
  });

  it("rejects a thread count that is not a positive integer", () => {
    expect(() => resolveDevice({ threads: 0 }, 2)).toThrow("--threads must be a positive integer, got 0");
  });
});
