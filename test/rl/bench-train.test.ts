import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { selectBackend } from "../../src/rl/backend.js";
import { benchTrain } from "../../src/rl/bench-train.js";

const TINY = {
  obsDim: 4,
  actDim: 2,
  hidden: [8, 8],
  batchSize: 8,
  warmup: 1,
  updates: 3,
  cqlUpdates: 2,
  levers: false,
};

describe("benchTrain", () => {
  it("reports updates/s, per-network time and no leaked tensors (tiny shape, 1 thread)", async () => {
    const backend = await selectBackend("wasm");
    const r = await benchTrain(backend, { ...TINY, workers: 1 });
    expect(r).toMatchObject({
      benchmark: "train",
      backend: "wasm",
      shape: { obs: 4, act: 2, hidden: [8, 8], batch: 8 },
      workers: 1,
      leaked_tensors_per_update: 0,
    });
    expect(r.iql_updates_per_s).toBeGreaterThan(0);
    expect(r.iql_updates_per_s_single_thread).toBe(r.iql_updates_per_s);
    expect(r.cql_updates_per_s).toBeGreaterThan(0);
    expect(r.cql_ms_per_update).toBeGreaterThan(0);
    expect(r.handoff_wait_ms).toBeUndefined();
    for (const k of ["v", "actor", "q"] as const) expect(r.ms_per_update[k]).toBeGreaterThan(0);
    expect(r.ms_per_update.v + r.ms_per_update.actor + r.ms_per_update.q).toBeLessThanOrEqual(
      r.ms_per_update.total + 0.05,
    );
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it("measures the 2-worker learner next to the single-thread one, per worker", async () => {
    const backend = await selectBackend("wasm");
    const r = await benchTrain(backend, { ...TINY, workers: 2 });
    expect(r).toMatchObject({ workers: 2, leaked_tensors_per_update: 0 });
    expect(r.iql_updates_per_s_single_thread).toBeGreaterThan(0);
    expect(r.speedup).toBeCloseTo(r.iql_updates_per_s / r.iql_updates_per_s_single_thread, 1);
    for (const k of ["v", "actor", "q"] as const) expect(r.ms_per_update[k]).toBeGreaterThan(0);
    // V + actor run on one worker and Q on the other, at the same time: each fits in the wall time.
    const slack = 0.05 + (r.handoff_wait_ms?.q_worker ?? 0) + (r.handoff_wait_ms?.value_actor_worker ?? 0);
    expect(Math.max(r.ms_per_update.v + r.ms_per_update.actor, r.ms_per_update.q)).toBeLessThanOrEqual(
      r.ms_per_update.total + slack,
    );
    expect(r.handoff_wait_ms).toBeDefined();
    if (existsSync("/proc/thread-self/schedstat")) {
      // Each thread did work of its own: its CPU time is positive and, per update, within the wall time.
      const t = r.thread_ms_per_update!;
      for (const w of [t.single_thread, t.q_worker!, t.value_actor_worker!]) {
        expect(w.cpuMs).toBeGreaterThan(0);
        expect(w.queuedMs).toBeGreaterThanOrEqual(0);
      }
      expect(Math.max(t.q_worker!.cpuMs, t.value_actor_worker!.cpuMs)).toBeLessThanOrEqual(
        r.ms_per_update.total + 0.05,
      );
    }
  });
});
