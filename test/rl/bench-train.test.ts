import { describe, expect, it } from "vitest";
import { benchTrain } from "../../src/rl/bench-train.js";
import { engineOptions } from "../../src/tensor/session.js";

const TINY = {
  obsDim: 4,
  actDim: 2,
  hidden: [8, 8],
  batchSize: 8,
  warmup: 1,
  updates: 3,
  cqlUpdates: 2,
};

describe("benchTrain", () => {
  it("reports every learner's updates/s, IQL on the engine at 1 and N threads, as plain JSON", async () => {
    const before = engineOptions();
    const r = await benchTrain({ ...TINY, threads: 2 });
    expect(r).toMatchObject({
      benchmark: "train",
      backend: "onnxruntime-cpu",
      engines: {
        iql: "onnxruntime-cpu",
        awac: "onnxruntime-cpu",
        td3bc: "onnxruntime-cpu",
        bc: "onnxruntime-cpu",
        cql: "onnxruntime-cpu",
      },
      shape: { obs: 4, act: 2, hidden: [8, 8], batch: 8 },
      workers: 1,
      threads: 2,
    });
    for (const k of [
      "iql_updates_per_s",
      "iql_updates_per_s_single_thread",
      "awac_updates_per_s",
      "td3bc_updates_per_s",
      "bc_updates_per_s",
      "cql_updates_per_s",
    ] as const)
      expect(r[k], k).toBeGreaterThan(0);
    expect(r.speedup).toBeCloseTo(r.iql_updates_per_s / r.iql_updates_per_s_single_thread, 1);
    expect(r.ms_per_update.total).toBe(r.ms_per_update.iql);
    expect(r.ms_per_update.iql).toBeCloseTo(1000 / r.iql_updates_per_s, 1);
    expect(Object.keys(r.cpu_ms_by_algo).sort()).toEqual(
      Object.keys(r.ms_per_update)
        .filter((k) => k !== "total")
        .sort(),
    );
    for (const v of Object.values(r.cpu_ms_by_algo)) expect(v).toBeGreaterThan(0);
    expect(r.cpu_ms_by_algo.iql).toBe(r.cpu_ms_per_update);
    // The bench sets the engine's thread count per figure and restores the caller's afterwards.
    expect(engineOptions()).toEqual(before);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});
