/**
 * The DT learner's loss over a fixed run of updates (same seed, same batches every time), to check that an
 * engine change leaves training numerically where it was:
 *   npx tsx scripts/dt-loss-trace.ts <updates> <batch> > trace.json
 * Each update gets a fresh synthetic pendulum-shaped batch (obs 3 / act 1) from its own seeded stream.
 */
import { Rng } from "../src/core/rng.js";
import { create } from "../src/rl/algos/dt.js";
import { newSegmentBatch } from "../src/rl/algos/dt-segments.js";
import { configureEngine } from "../src/tensor/session.js";

const [n, b] = [50, 64].map((d, i) => Number(process.argv[2 + i] ?? d));
const [obsDim, actDim] = [3, 1];
configureEngine({ device: "cpu", threads: 1 });
const learner = create({}, { obsDim, actDim }, new Rng(0));
const k = learner.config.contextLength;
const data = new Rng(1);
const batch = newSegmentBatch(b, k, obsDim, actDim);
const losses: number[] = [];
for (let u = 0; u < n; u++) {
  for (let i = 0; i < batch.observations.length; i++) batch.observations[i] = data.normal(0, 1);
  for (let i = 0; i < batch.actions.length; i++) batch.actions[i] = Math.tanh(data.normal(0, 1));
  for (let i = 0; i < b * k; i++) {
    batch.returnsToGo[i] = data.normal(-300, 100);
    batch.timesteps[i] = (i % k) + data.int(180);
    batch.mask[i] = i % k < k - 2 || data.next() < 0.5 ? 1 : 0;
  }
  losses.push(learner.updateSegments(batch)["loss/actor"]);
}
console.log(JSON.stringify({ updates: n, batch: b, losses }));
learner.dispose();
