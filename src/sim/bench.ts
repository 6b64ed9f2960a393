/**
 * Simulation throughput, per robot: a bare mj_step loop, the same physics through MujocoEnv (observation,
 * reward, termination and signal copies included), and whole-episode collection on 1 vs 2 worker threads.
 * The two sides of each comparison run interleaved (raw, env, raw, env, ...) and each figure is the best of
 * `repeats`, so load from other processes on a shared machine disturbs the ratios less.
 */
import { Rng } from "../core/rng.js";
import { loadRobot, type LoadedRobot } from "../robot/load.js";
import { collectEpisodes } from "./collect.js";
import { MujocoEnv } from "./mujoco-env.js";
import { loadMjcfFile, loadMujocoModule } from "./mujoco.js";
import { startWorkers, type SimWorker } from "./worker-pool.js";

export interface SimBenchResult {
  raw_steps_per_s: number;
  env_steps_per_s: number;
  /** raw / env − 1: the env's cost over bare physics (wall clock). */
  env_overhead: number;
  /** The same ratio from process CPU time: steadier than wall clock when other processes share the cores. */
  env_overhead_cpu: number;
  vector_steps_per_s_1: number;
  vector_steps_per_s_2: number;
  /** 2 workers over 1, whole-episode collection. */
  vector_speedup: number;
}

export interface SimBenchOptions {
  physicsSteps: number;
  episodes: number;
  repeats: number;
  onProgress?: (stage: string) => void;
}

function actionTable(actDim: number, rows: number, seed: number): Float64Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: rows }, () => Float64Array.from({ length: actDim }, () => rng.uniform(-1, 1)));
}

/** A timed run: physics steps per wall-clock second and per second of this process's CPU time. */
type Run = () => { wall: number; cpu: number };

function timed(steps: number, body: () => void): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  body();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall: steps / wall, cpu: steps / ((c.user + c.system) / 1e6) };
}

/** Bare loop: set ctrl, frame_skip × mj_step, reset every episode length. Returns the run and a disposer. */
export async function rawStepRun(
  robot: LoadedRobot,
  physicsSteps: number,
): Promise<{ run: Run; dispose: () => void }> {
  const mj = await loadMujocoModule();
  const model = loadMjcfFile(mj, robot.modelFile);
  const data = new mj.MjData(model);
  const { frame_skip: frameSkip, max_episode_steps: episode } = robot.spec.control;
  const actions = actionTable(model.nu, 64, 1);
  const ranges = robot.spec.actuators.map((a) => a.range);
  const ticks = Math.ceil(physicsSteps / frameSkip);
  const run: Run = () => {
    mj.mj_resetData(model, data);
    const ctrl = data.ctrl as Float64Array;
    return timed(ticks * frameSkip, () => {
      for (let t = 0; t < ticks; t++) {
        if (t % episode === 0) mj.mj_resetData(model, data);
        const a = actions[t & 63];
        for (let i = 0; i < a.length; i++)
          ctrl[i] = ranges[i][0] + ((a[i] + 1) / 2) * (ranges[i][1] - ranges[i][0]);
        for (let k = 0; k < frameSkip; k++) mj.mj_step(model, data);
      }
    });
  };
  return {
    run,
    dispose: () => {
      data.delete();
      model.delete();
    },
  };
}

/** The same action sequence through MujocoEnv.step (observation, reward, termination, signal copy). */
export async function envStepRun(
  robot: LoadedRobot,
  physicsSteps: number,
): Promise<{ run: Run; dispose: () => void }> {
  const env = await MujocoEnv.create(robot);
  const actions = actionTable(env.actDim, 64, 1);
  const ticks = Math.ceil(physicsSteps / env.frameSkip);
  const run: Run = () => {
    env.reset(0);
    return timed(ticks * env.frameSkip, () => {
      for (let t = 0; t < ticks; t++) {
        const r = env.step(actions[t & 63]);
        if (r.terminated || r.truncated) env.reset();
      }
    });
  };
  return { run, dispose: () => env.close() };
}

/** Physics steps per second of whole-episode collection (random behavior) on an already started pool. */
async function collectRun(
  robot: LoadedRobot,
  pool: SimWorker[],
  episodes: number,
  seed: number,
): Promise<number> {
  const t0 = performance.now();
  const eps = await collectEpisodes({ robot, behavior: "random", episodes, seed, pool });
  const steps = eps.reduce((s, e) => s + e.length, 0) * robot.spec.control.frame_skip;
  return steps / ((performance.now() - t0) / 1000);
}

export async function benchSim(robotName: string, options: SimBenchOptions): Promise<SimBenchResult> {
  const robot = loadRobot(robotName);
  const { repeats } = options;

  options.onProgress?.(`${robotName}: raw mj_step vs MujocoEnv`);
  const raw = await rawStepRun(robot, options.physicsSteps);
  const env = await envStepRun(robot, options.physicsSteps);
  let bestRaw = 0;
  let bestEnv = 0;
  let cpuRaw = 0;
  let cpuEnv = 0;
  try {
    raw.run(); // warm-up (JIT)
    env.run();
    for (let i = 0; i < repeats; i++) {
      const r = raw.run();
      const e = env.run();
      bestRaw = Math.max(bestRaw, r.wall);
      bestEnv = Math.max(bestEnv, e.wall);
      cpuRaw = Math.max(cpuRaw, r.cpu);
      cpuEnv = Math.max(cpuEnv, e.cpu);
    }
  } finally {
    raw.dispose();
    env.dispose();
  }

  options.onProgress?.(`${robotName}: collection on 1 vs 2 workers`);
  const [one, two] = await Promise.all([startWorkers(1), startWorkers(2)]);
  let best1 = 0;
  let best2 = 0;
  try {
    await collectRun(robot, one, 2, 99); // warm-up
    await collectRun(robot, two, 4, 99);
    for (let i = 0; i < repeats; i++) {
      best1 = Math.max(best1, await collectRun(robot, one, options.episodes, i));
      best2 = Math.max(best2, await collectRun(robot, two, options.episodes, i));
    }
  } finally {
    await Promise.all([...one, ...two].map((w) => w.terminate()));
  }
  return {
    raw_steps_per_s: Math.round(bestRaw),
    env_steps_per_s: Math.round(bestEnv),
    env_overhead: Number((bestRaw / bestEnv - 1).toFixed(4)),
    env_overhead_cpu: Number((cpuRaw / cpuEnv - 1).toFixed(4)),
    vector_steps_per_s_1: Math.round(best1),
    vector_steps_per_s_2: Math.round(best2),
    vector_speedup: Number((best2 / best1).toFixed(3)),
  };
}
