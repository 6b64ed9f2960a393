import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { NotAvailableError } from "../../src/core/errors.js";
import { describeBackend, selectBackend } from "../../src/rl/backend.js";

describe("selectBackend", () => {
  it("falls through the absent native backends to wasm and says why each was skipped", async () => {
    const b = await selectBackend();
    expect(b.name).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(b.skipped.map((s) => s.name)).toEqual(["tfjs-node-gpu", "tfjs-node"]);
    expect(describeBackend(b)).toMatch(
      /^tensor backend: wasm \(tfjs-node-gpu skipped: .+; tfjs-node skipped: .+\)$/,
    );
  });

  it("fails clearly when a forced backend is not installed", async () => {
    await expect(selectBackend("tfjs-node")).rejects.toBeInstanceOf(NotAvailableError);
    await expect(selectBackend("tfjs-node")).rejects.toThrow(
      /backend tfjs-node is not available: .*\n {2}hint: install @tensorflow\/tfjs-node/,
    );
  });

  it("rejects an unknown backend name", async () => {
    await expect(selectBackend("gpu" as never)).rejects.toThrow(
      '--backend must be one of tfjs-node-gpu, tfjs-node, wasm, cpu, got "gpu"',
    );
  });

  it("the fast Slice kernel gives the stock kernel's results (1-D, contiguous and strided 2-D)", async () => {
    await selectBackend("wasm");
    const { uninstallFastSlice, installFastSlice } = await import("../../src/rl/wasm-kernels.js");
    const x = tf.tensor2d(
      Array.from({ length: 30 }, (_, i) => i * 0.5 - 3),
      [5, 6],
    );
    const flat = tf.reshape(x, [30]);
    const cases = () => [
      Array.from(tf.slice(flat, [7], [11]).dataSync()),
      Array.from(tf.slice(x, [1, 0], [3, 6]).dataSync()),
      Array.from(tf.slice(x, [1, 2], [3, 3]).dataSync()),
      Array.from(tf.slice(x, [0, 5], [-1, 1]).dataSync()),
    ];
    const fast = tf.tidy(cases);
    uninstallFastSlice();
    const stock = tf.tidy(cases);
    installFastSlice();
    expect(fast).toEqual(stock);
    // rows 1-3, columns 2-4 of x[i][j] = (6i + j)/2 - 3
    expect(fast[2]).toEqual([8, 9, 10, 14, 15, 16, 20, 21, 22].map((k) => k / 2 - 3));
    tf.dispose([x, flat]);
  });
});
