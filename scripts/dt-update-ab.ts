/**
 * Two versions of the engine/DT code in one process, updates alternating between them, so both see the
 * same load on a shared machine (separate runs minutes apart differ by ±5% in CPU time, more than an
 * engine change of a few ms per update):
 *   npx tsx scripts/dt-update-ab.ts <rootA> <rootB> [batch] [rounds]
 * Each root is a checkout of this repository (e.g. `git archive <commit> | tar -x -C /tmp/a`); both
 * learners get the same seed and the same synthetic batch (obs 3 / act 1), one engine thread each.
 */
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [rootA, rootB] = [process.argv[2], process.argv[3]];
if (!rootA || !rootB) throw new Error("usage: dt-update-ab.ts <rootA> <rootB> [batch] [rounds]");
const [b, rounds] = [64, 30].map((d, i) => Number(process.argv[4 + i] ?? d));
const [obsDim, actDim] = [3, 1];

interface Variant {
  update: () => number;
  cpu: number[];
  loss: number;
  dispose: () => void;
}

async function load(root: string): Promise<Variant> {
  const url = (p: string) => pathToFileURL(resolve(root, p)).href;
  const { Rng } = (await import(url("src/core/rng.ts"))) as typeof import("../src/core/rng.js");
  const dt = (await import(url("src/rl/algos/dt.ts"))) as typeof import("../src/rl/algos/dt.js");
  const seg = (await import(
    url("src/rl/algos/dt-segments.ts")
  )) as typeof import("../src/rl/algos/dt-segments.js");
  const session = (await import(url("src/tensor/session.ts"))) as typeof import("../src/tensor/session.js");
  session.configureEngine({ device: "cpu", threads: 1 });
  const rng = new Rng(0);
  const learner = dt.create({}, { obsDim, actDim }, rng);
  const k = learner.config.contextLength;
  const batch = seg.newSegmentBatch(b, k, obsDim, actDim);
  for (let i = 0; i < batch.observations.length; i++) batch.observations[i] = rng.normal(0, 1);
  for (let i = 0; i < batch.actions.length; i++) batch.actions[i] = Math.tanh(rng.normal(0, 1));
  for (let i = 0; i < b * k; i++) {
    batch.returnsToGo[i] = rng.normal(-300, 100);
    batch.timesteps[i] = (i % k) + rng.int(180);
    batch.mask[i] = i % k < k - 2 || rng.next() < 0.5 ? 1 : 0;
  }
  return {
    update: () => learner.updateSegments(batch)["loss/actor"],
    cpu: [],
    loss: NaN,
    dispose: () => learner.dispose(),
  };
}

const variants = [await load(rootA), await load(rootB)];
for (const v of variants) for (let i = 0; i < 2; i++) v.update(); // compile and warm up
for (let r = 0; r < rounds; r++) {
  // Alternate which goes first, so neither always follows the other's cache footprint.
  const order = r % 2 === 0 ? variants : [...variants].reverse();
  for (const v of order) {
    const c0 = process.cpuUsage();
    v.loss = v.update();
    const c = process.cpuUsage(c0);
    v.cpu.push((c.user + c.system) / 1e6);
  }
}
const stats = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  return { mean: +mean.toFixed(4), median: +s[Math.floor(s.length / 2)].toFixed(4), min: +s[0].toFixed(4) };
};
const [a, bb] = variants;
const ratios = a.cpu.map((x, i) => bb.cpu[i] / x);
console.log(
  JSON.stringify({
    batch: b,
    rounds,
    a: { root: rootA, cpu_s_per_update: stats(a.cpu), loss: a.loss },
    b: { root: rootB, cpu_s_per_update: stats(bb.cpu), loss: bb.loss },
    b_over_a_median_of_pairs: +[...ratios].sort((x, y) => x - y)[Math.floor(rounds / 2)].toFixed(3),
    load_average: loadavg().map((x) => +x.toFixed(2)),
  }),
);
for (const v of variants) v.dispose();
