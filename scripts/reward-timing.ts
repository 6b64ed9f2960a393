/**
 * How far the policy node's old per-tick reward (robot.yaml's reward over the state AT the tick with the new
 * command) strays from a step's reward as MujocoEnv and the datasets score it (the state AFTER the step).
 * Real MuJoCo episodes driven by a behavior controller; the node as it runs against the sim robot in
 * lock-step, which also ticks on the final state (a command the sim never applies: it resets instead).
 *   npx tsx scripts/reward-timing.ts [episodes=20] [level=medium]
 * Prints one JSON line per robot.
 */
import { loadavg } from "node:os";
import { makeBehavior, type BehaviorLevel } from "../src/robot/behaviors/index.js";
import { scaleToRange } from "../src/robot/task-functions.js";
import { MujocoEnv } from "../src/sim/mujoco-env.js";

const episodes = Number(process.argv[2] ?? 20);
const level = (process.argv[3] ?? "medium") as BehaviorLevel;

for (const robot of ["pendulum", "reacher2", "pusher"]) {
  const env = await MujocoEnv.create(robot, { seed: 0 });
  const { task } = env;
  const spec = env.robot.spec;
  const at = task.layout.action;
  const act = new Float64Array(env.actDim);
  const sims: number[] = [];
  const diffs: number[] = [];
  const diffsNoFinal: number[] = [];
  for (let e = 0; e < episodes; e++) {
    const behavior = makeBehavior(spec, level, 1000 + e);
    behavior.reset(1000 + e);
    env.reset(e);
    let sim = 0;
    let old = 0;
    for (;;) {
      const before = env.signals();
      behavior.act(before, act);
      const r = env.step(act);
      sim += r.reward;
      // The old accounting: the state the tick acted on, with the command it sent.
      for (let i = 0; i < env.actDim; i++) before[at + i] = r.info.signals[at + i];
      old += task.reward(before);
      if (r.terminated || r.truncated) break;
    }
    // Without that tick (the sim resets before the node ticks again, as in realtime mode it may).
    diffsNoFinal.push(old - sim);
    // ...and the tick on the final state: its command is published (and counted) but never applied.
    const last = env.signals();
    behavior.act(last, act);
    spec.actuators.forEach((a, i) => (last[at + i] = scaleToRange(act[i], a.range[0], a.range[1])));
    old += task.reward(last);
    sims.push(sim);
    diffs.push(old - sim);
  }
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  const ref = spec.reference_returns;
  const points = (d: number): number | undefined => (ref ? (100 * d) / (ref.expert - ref.random) : undefined);
  const absDiff = diffs.map(Math.abs);
  const rel = diffs.map((d, i) => Math.abs(d) / Math.abs(sims[i]));
  console.log(
    JSON.stringify({
      robot,
      level,
      episodes,
      meanSimReturn: mean(sims),
      meanOldMinusSim: mean(diffs),
      meanAbsDiff: mean(absDiff),
      maxAbsDiff: Math.max(...absDiff),
      meanRelDiff: mean(rel),
      maxRelDiff: Math.max(...rel),
      meanAbsDiffNormalizedPoints: points(mean(absDiff)),
      maxAbsDiffNormalizedPoints: points(Math.max(...absDiff)),
      noFinalTickMeanAbsDiff: mean(diffsNoFinal.map(Math.abs)),
      noFinalTickMaxRelDiff: Math.max(...diffsNoFinal.map((d, i) => Math.abs(d) / Math.abs(sims[i]))),
      load: loadavg().map((x) => x.toFixed(2)),
      date: new Date().toISOString(),
    }),
  );
  env.close();
}
