import { describe, expect, it } from "vitest";
import { selectBackend } from "../../src/rl/backend.js";
import { benchTrain } from "../../src/rl/bench-train.js";

describe("benchTrain", () => {
  it("reports updates/s, per-network time and no leaked tensors (tiny shape)", async () => {
    const backend = await selectBackend("wasm");
    const r = await benchTrain(backend, {
      obsDim: 4,
      actDim: 2,
      hidden: [8, 8],
      batchSize: 8,
      warmup: 1,
      updates: 3,
      levers: false,
    });
    expect(r).toMatchObject({
      benchmark: "train",
      backend: "wasm",
      shape: { obs: 4, act: 2, hidden: [8, 8], batch: 8 },
      leaked_tensors_per_update: 0,
    });
    expect(r.iql_updates_per_s).toBeGreaterThan(0);
    for (const k of ["v", "actor", "q"] as const) expect(r.ms_per_update[k]).toBeGreaterThan(0);
    expect(r.ms_per_update.v + r.ms_per_update.actor + r.ms_per_update.q).toBeLessThanOrEqual(
      r.ms_per_update.total + 0.05,
    );
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});
