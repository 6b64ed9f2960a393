/**
 * The DT learner's update cost at DT_DEFAULTS on one engine thread: CPU seconds per update, and the
 * matmul FLOPs per update from the architecture (backward ≈ 2× forward) against that CPU time.
 *   npx tsx scripts/dt-update-cost.ts <batch> <updates> [obsDim] [actDim]
 * TETHER_ORT_PROFILE=<prefix> also writes ONNX Runtime's per-node profile (scripts/ort-profile-summary.py).
 */
import { loadavg } from "node:os";
import { Rng } from "../src/core/rng.js";
import { create } from "../src/rl/algos/dt.js";
import { newSegmentBatch } from "../src/rl/algos/dt-segments.js";
import { configureEngine } from "../src/tensor/session.js";

const [b, n, obsDim, actDim] = [64, 20, 3, 1].map((d, i) => Number(process.argv[2 + i] ?? d));
configureEngine({ device: "cpu", threads: 1 });
const rng = new Rng(0);
const learner = create({}, { obsDim, actDim }, rng);
const { contextLength: k, embedDim: h, layers, maxEpisodeLength } = learner.config;
const batch = newSegmentBatch(b, k, obsDim, actDim);
for (let i = 0; i < batch.observations.length; i++) batch.observations[i] = rng.normal(0, 1);
for (let i = 0; i < batch.actions.length; i++) batch.actions[i] = Math.tanh(rng.normal(0, 1));
for (let i = 0; i < b * k; i++) {
  batch.returnsToGo[i] = rng.normal(-300, 100);
  batch.timesteps[i] = (i % k) + rng.int(180);
  batch.mask[i] = i % k < k - 2 || rng.next() < 0.5 ? 1 : 0;
}
let t0 = performance.now();
learner.updateSegments(batch); // compiles
learner.updateSegments(batch);
const compileMs = performance.now() - t0;
const c0 = process.cpuUsage();
t0 = performance.now();
let loss = 0;
// Per-update CPU times too: their median and minimum move less with the other processes than the mean.
const each: number[] = [];
for (let i = 0; i < n; i++) {
  const u0 = process.cpuUsage();
  loss = learner.updateSegments(batch)["loss/actor"];
  const u = process.cpuUsage(u0);
  each.push((u.user + u.system) / 1e6);
}
each.sort((x, y) => x - y);
const wall = (performance.now() - t0) / 1000;
const c = process.cpuUsage(c0);
const cpu = (c.user + c.system) / 1e6;
// Multiply-adds of the forward pass: token embeddings, per block QKV, projection, MLP (4h) and attention
// over 3K tokens, the action head. The timestep table's lookup (one-hot MatMul before 2026-12-06) is
// counted as the MatMul it was, so figures before and after compare on the same FLOPs.
const rows = b * k;
const tokens = 3 * k;
const embed = rows * (obsDim + actDim + 1) * h + rows * maxEpisodeLength * h + rows * h * actDim;
const block = b * tokens * h * (3 * h + h + 4 * h + 4 * h) + 2 * b * tokens * tokens * h;
const forwardFlop = 2 * (embed + layers * block);
const updateFlop = 3 * forwardFlop;
console.log(
  JSON.stringify({
    batch: b,
    updates: n,
    compile_ms: Math.round(compileMs),
    updates_per_s_wall: +(n / wall).toFixed(3),
    cpu_s_per_update: +(cpu / n).toFixed(4),
    cpu_s_per_update_median: +each[Math.floor(n / 2)].toFixed(4),
    cpu_s_per_update_min: +each[0].toFixed(4),
    update_gflop: +(updateFlop / 1e9).toFixed(2),
    gflops_per_cpu_s: +(updateFlop / 1e9 / (cpu / n)).toFixed(1),
    loss,
    load_average: loadavg().map((x) => +x.toFixed(2)),
  }),
);
learner.dispose();
