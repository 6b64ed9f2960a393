/**
 * One fine-tune run end to end, shared by the `finetune` node and `tether finetune`: restores the learner
 * from the model's offline checkpoint, builds the real Shield from the policy package (box, support clamp,
 * rate limit, hard limits) behind the SafetyCore's monitors and e-stop (monitored-filter.ts; an e-stop ends
 * the run and is reported) plus the out-of-distribution state count, runs the rl fine-tune loop in MujocoEnv
 * (or a given Env), saves every evaluation that beats the best so far as models/<name>/versions/vN (a full
 * policy package + checkpoint), and writes the learning curve (curve.jsonl, curve.svg) and result.json.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { ConfigError } from "../../core/errors.js";
import type { Env } from "../../core/env.js";
import { Rng } from "../../core/rng.js";
import { makeRunId } from "../../core/run-id.js";
import type { TransitionColumns } from "../../core/transitions.js";
import {
  loadPolicyPackage,
  resolvePackageDir,
  writePolicyPackage,
  type PolicyPackage,
} from "../../policy/package.js";
import { SupportRunner, type ObservationNormalizer } from "../../policy/runner.js";
import type { Controller } from "../../safety/fallback.js";
import { loadRobot, type LoadedRobot } from "../../robot/load.js";
import { compileTask } from "../../robot/task-functions.js";
import type { Learner } from "../../rl/algos/learner.js";
import {
  canFinetune,
  createLearner,
  FINETUNE_ALGOS,
  isAlgoName,
  samplerExtras,
} from "../../rl/algos/registry.js";
import { engineOptions } from "../../tensor/session.js";
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from "../../rl/checkpoint.js";
import {
  runFinetuneLoop,
  type ActionFilter,
  type CurvePoint,
  type FinetuneOptions,
} from "../../rl/finetune/finetune-loop.js";
import { exportPolicyOnnx } from "../../rl/policy-onnx.js";
import { checkColumns } from "../../rl/replay.js";
import { CONFIG_FILE } from "../../rl/trainer.js";
import type { ShieldCounts } from "../../safety/clamps/shield.js";
import { buildPolicyStack, DEFAULT_SHIELD_PARAMS, type ShieldParams } from "../policy/build-shield.js";
import { monitoredFilter } from "./monitored-filter.js";

/** The loop's budget and schedule fields are the loop's own (documented in src/rl/finetune/finetune-loop.ts). */
export interface FinetuneJobOptions extends Pick<
  FinetuneOptions,
  | "envSteps"
  | "ratio"
  | "updatesPerStep"
  | "evalEvery"
  | "evalEpisodes"
  | "batchSize"
  | "seed"
  | "explorationStd"
  | "bcDecay"
> {
  /** Policy package folder (with the trainer's checkpoint), or a name under models/. */
  model: string;
  /** `--algo`: the algorithm to continue (iql, awac, calql, rebrac); must be the package's. Default: the package's. */
  algo?: string;
  robot: string;
  /** Offline dataset folder or name under logs/; or pass `columns`. */
  dataset?: string;
  columns?: TransitionColumns;
  shield?: Partial<ShieldParams>;
  /** Run folder for curve and result files; default <model root>/finetune/<run id>. */
  out?: string;
  /**
   * Default true: actions pass the SafetyCore monitors and e-stop as well as the shield. False: the shield
   * alone (sim experiments where an e-stop would end the run; the shield's guarantee is unchanged).
   */
  monitors?: boolean;
  /** Envs to use instead of MujocoEnv (tests, topic-backed envs). */
  env?: Env;
  evalEnv?: Env;
  /** Wraps the learner (tests inject faults, e.g. a NaN policy). */
  wrapLearner?: (learner: Learner) => Learner;
  plot?: boolean;
  /** "improved" (default): save a version when an evaluation beats every earlier one; "every-eval": always. */
  saveVersions?: "improved" | "every-eval";
  onProgress?: (envStep: number, updates: number) => void;
  onEval?: (point: CurvePoint, savedVersion: string | undefined) => void;
  shouldStop?: () => boolean;
}

export interface SavedVersion {
  version: string;
  dir: string;
  env_step: number;
  score: number;
  ci_low: number;
  ci_high: number;
}

export interface FinetuneJobResult {
  run_id: string;
  model_dir: string;
  out_dir: string;
  algo: string;
  /** The engine the updates ran on, e.g. "onnxruntime-cpu" (the field predates the engine). */
  backend: string;
  env_steps: number;
  updates: number;
  updates_per_second: number;
  ratio: number;
  /** Whether a learner with an online BC schedule (ReBRAC) decayed its BC weights (false: kept the offline ones). */
  bc_decay: boolean;
  curve: CurvePoint[];
  versions: SavedVersion[];
  baseline_score: number;
  final_score: number;
  best_score: number;
  /** Best evaluated score minus the step-0 score (normalized points when the robot is calibrated). */
  gain: number;
  /** Last evaluated score minus the step-0 score (no selection over noisy evaluations). */
  final_gain: number;
  shield_counts: ShieldCounts;
  /** Actions the shield changed / filtered actions failing the limit re-check (never sent; must be 0). */
  filtered: number;
  violations: number;
  actions_sent: number;
  /** Steps whose observation left the dataset's state box (OOD monitor, mean ± state_k std). */
  ood_states: number;
  /** The event that latched the e-stop and ended the run (no action was sent after it), or null. */
  estop: { monitor: string; key: string; message: string; env_step: number } | null;
  /** Monitor events by `monitor:severity` (error: the tick held the last safe command; fatal: e-stop). */
  safety_events: Record<string, number>;
  /** Ticks by control source: policy, hold, estop. */
  control_sources: Record<string, number>;
  curve_file: string;
  plot_file?: string;
}

interface RunConfigFile {
  algo: string;
  config: Record<string, unknown>;
  rewardScale?: number;
  datasetHash?: string;
  dataset?: string;
  [k: string]: unknown;
}

/** models/<name>, also when fine-tuning from one of its versions. */
export function modelRoot(modelDir: string): string {
  return basename(dirname(modelDir)) === "versions" ? dirname(dirname(modelDir)) : modelDir;
}

export function nextVersionNumber(root: string): number {
  const dir = join(root, "versions");
  if (!existsSync(dir)) return 1;
  let max = 0;
  for (const name of readdirSync(dir)) {
    const m = /^v(\d+)$/.exec(name);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max + 1;
}

/** Creates the next free versions/vN folder; mkdir is atomic, so concurrent runs never share a version. */
export function claimVersionDir(root: string): { version: string; dir: string } {
  mkdirSync(join(root, "versions"), { recursive: true });
  for (let n = nextVersionNumber(root); ; n++) {
    const dir = join(root, "versions", `v${n}`);
    try {
      mkdirSync(dir);
      return { version: `v${n}`, dir };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
}

/** Restores the learner the offline trainer left in the model folder (config.json + checkpoint). */
export function restoreLearner(
  modelDir: string,
  pkg: PolicyPackage,
  seed: number,
  algo?: string,
): { learner: Learner; runConfig: RunConfigFile } {
  const configFile = join(modelDir, CONFIG_FILE);
  if (!existsSync(configFile) || !hasCheckpoint(modelDir))
    throw new ConfigError(
      configFile,
      "(file)",
      "fine-tuning needs the trainer's config.json and checkpoint",
      {
        hint: "train with `tether train --out models/<name>` (the package folder keeps the checkpoint)",
      },
    );
  let runConfig: RunConfigFile;
  try {
    runConfig = JSON.parse(readFileSync(configFile, "utf8")) as RunConfigFile;
  } catch (err) {
    throw new ConfigError(configFile, "(file)", "not valid JSON", { cause: err });
  }
  if (typeof runConfig.algo !== "string" || !isAlgoName(runConfig.algo))
    throw new ConfigError(configFile, "algo", `unknown algorithm "${String(runConfig.algo)}"`);
  checkFinetuneAlgo(configFile, modelDir, runConfig.algo, algo);
  const m = pkg.manifest;
  const learner = createLearner(
    runConfig.algo,
    runConfig.config ?? {},
    {
      obsDim: m.observation.dim,
      actDim: m.action.dim,
      obsMean: Float32Array.from(m.observation.mean),
      obsStd: Float32Array.from(m.observation.std),
      rewardScale: runConfig.rewardScale ?? 1,
    },
    new Rng(seed),
  );
  try {
    learner.loadStateDict(loadCheckpoint(modelDir).state);
  } catch (err) {
    learner.dispose();
    throw err;
  }
  return { learner, runConfig };
}

/** `--algo` must name one of FINETUNE_ALGOS and the package's own algorithm; a DT package cannot fine-tune. */
function checkFinetuneAlgo(configFile: string, modelDir: string, trained: string, asked?: string): void {
  const accepted = FINETUNE_ALGOS as readonly string[];
  if (asked !== undefined && !accepted.includes(asked))
    throw new ConfigError(configFile, "algo", `--algo ${asked} cannot fine-tune model ${modelDir}`, {
      expected: accepted.join(", "),
      hint: `--algo takes ${accepted.join("|")}; omit it to continue the package's own algorithm (${trained})`,
    });
  if (asked !== undefined && asked !== trained)
    throw new ConfigError(
      configFile,
      "algo",
      `model ${modelDir} was trained with ${trained}; --algo ${asked} cannot continue it`,
      { hint: `omit --algo, or pass --algo ${trained}, or fine-tune a model trained with ${asked}` },
    );
  if (!isAlgoName(trained) || !canFinetune(trained))
    throw new ConfigError(
      configFile,
      "algo",
      `${trained} cannot be fine-tuned: model ${modelDir} has no critic to learn online with`,
      { hint: `fine-tune a model trained with ${accepted.join(", ")}` },
    );
}

/**
 * The policy node's default fallback: the package's behavior model (BC mean). Holding the last command on a
 * monitor error is no fallback for a velocity limit: a pendulum spinning under held torque only speeds up
 * (measured: 15 500 held ticks, then the e-stop, in a 16 k-step pendulum run without it).
 */
function bcFallback(
  pkg: PolicyPackage,
  runner: ObservationNormalizer & { actDim: number },
): Controller | undefined {
  const sr = SupportRunner.fromPackage(pkg, runner);
  if (sr === undefined) return undefined;
  const std = new Float64Array(runner.actDim);
  return { act: (obs, _signals, out) => sr.evaluate(obs, out, std) };
}

export async function runFinetuneJob(options: FinetuneJobOptions): Promise<FinetuneJobResult> {
  const robot: LoadedRobot = loadRobot(options.robot);
  const task = compileTask(robot.spec);
  const modelDir = resolvePackageDir(options.model);
  const pkg = loadPolicyPackage(modelDir);
  const root = modelRoot(modelDir);
  const shieldParams = { ...DEFAULT_SHIELD_PARAMS, ...(options.shield ?? {}) };
  const stack = buildPolicyStack(pkg, robot.spec, shieldParams);
  const shield = stack.shield;

  let cols: TransitionColumns;
  let source: string;
  if (options.columns) {
    cols = options.columns;
    source = options.dataset ?? "(columns)";
  } else {
    if (!options.dataset)
      throw new ConfigError("(options)", "--dataset", "the offline dataset is required for the mixed buffer");
    const { resolveDatasetDir } = await import("../../rl/run-training.js");
    const { openDataset, loadTransitions } = await import("../../data/dataset-reader.js");
    const dir = resolveDatasetDir(options.dataset);
    const ds = openDataset(dir);
    if (ds.manifest.robot !== robot.spec.name)
      throw new ConfigError(
        join(dir, "manifest.json"),
        "robot",
        `dataset was recorded for robot "${ds.manifest.robot}", --robot is "${robot.spec.name}"`,
      );
    cols = loadTransitions(ds);
    source = dir;
  }
  checkColumns(cols, { obsDim: task.obsDim, actDim: task.actDim, source, robot: robot.spec.name });

  const restored = restoreLearner(modelDir, pkg, options.seed, options.algo);
  const learner = options.wrapLearner ? options.wrapLearner(restored.learner) : restored.learner;
  const runId = makeRunId(["finetune", restored.runConfig.algo, robot.spec.name, `s${options.seed}`]);
  const outDir = resolve(options.out ?? join(root, "finetune", runId));
  mkdirSync(outDir, { recursive: true });

  let ood = 0;
  const box = stack.stateBox;
  const monitored = monitoredFilter({
    spec: robot.spec,
    shield,
    stateBox: box,
    fallback: bcFallback(pkg, stack.runner),
  });
  const inner: ActionFilter =
    options.monitors === false
      ? { apply: (obs, action) => shield.apply(action, obs).action, reset: () => shield.reset() }
      : monitored.filter;
  const filter: ActionFilter = {
    ...inner,
    apply: (obs, action) => {
      for (let i = 0; i < obs.length; i++) {
        if (!(obs[i] >= box.lo[i] && obs[i] <= box.hi[i])) {
          ood++;
          break;
        }
      }
      return inner.apply(obs, action);
    },
  };
  const lim = shield.limits;
  const withinLimits = (a: Float32Array): boolean => {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (!(v >= -1 && v <= 1 && v >= lim.loNorm[i] - 1e-6 && v <= lim.hiNorm[i] + 1e-6)) return false;
    }
    return true;
  };

  let env = options.env;
  let evalEnv = options.evalEnv;
  const owned: Env[] = [];
  if (!env || !evalEnv) {
    const { MujocoEnv } = await import("../../sim/mujoco-env.js");
    if (!env) owned.push((env = await MujocoEnv.create(robot, { seed: options.seed })));
    if (!evalEnv) owned.push((evalEnv = await MujocoEnv.create(robot, { seed: options.seed + 1 })));
  }
  const sameEnv = evalEnv === env;
  if (options.monitors !== false) {
    env = monitored.tap(env);
    evalEnv = sameEnv ? env : monitored.tap(evalEnv);
  }

  const curveFile = join(outDir, "curve.jsonl");
  writeFileSync(curveFile, "");
  const versions: SavedVersion[] = [];
  let best = -Infinity;
  const started = performance.now();
  let loop;
  try {
    loop = await runFinetuneLoop(
      env,
      learner,
      filter,
      cols,
      {
        envSteps: options.envSteps,
        ratio: options.ratio,
        updatesPerStep: options.updatesPerStep,
        evalEvery: options.evalEvery,
        evalEpisodes: options.evalEpisodes,
        batchSize: options.batchSize,
        seed: options.seed,
        explorationStd: options.explorationStd,
        bcDecay: options.bcDecay,
        extras: samplerExtras(restored.learner.algo, restored.runConfig.config ?? {}),
        normalizedScore: (r) => task.normalizedScore(r),
        withinLimits,
        shouldStop: options.shouldStop,
        onProgress: options.onProgress ? (s, u) => options.onProgress?.(s, u) : undefined,
        onEval: (point, l) => {
          writeFileSync(curveFile, JSON.stringify(point) + "\n", { flag: "a" });
          let saved: string | undefined;
          // Step 0 is the offline policy itself: it sets the bar, later evaluations must beat it.
          const save = options.saveVersions === "every-eval" || point.score > best;
          if (point.env_step > 0 && save) {
            const v = saveVersion(root, robot, l, pkg, restored.runConfig, point, {
              ratio: options.ratio,
              updatesPerStep: options.updatesPerStep,
              explorationStd: options.explorationStd,
              bcDecay: options.bcDecay !== false,
              seed: options.seed,
              runId,
              shield: shieldParams,
            });
            versions.push(v);
            saved = v.version;
          }
          best = Math.max(best, point.score);
          options.onEval?.(point, saved);
        },
      },
      evalEnv,
    );
  } finally {
    for (const e of owned) e.close();
    monitored.close();
    learner.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  const curve = loop.curve;
  let plotFile: string | undefined;
  if (options.plot !== false) {
    plotFile = join(outDir, "curve.svg");
    writeFileSync(
      plotFile,
      await curveSvg(curve, `${restored.runConfig.algo} fine-tune on ${robot.spec.name}`),
    );
  }
  const estop = monitored.estop();
  // An e-stop during the step-0 evaluation leaves no score at all.
  const baseline = curve.length > 0 ? curve[0].score : NaN;
  const scores = curve.map((p) => p.score);
  const result: FinetuneJobResult = {
    run_id: runId,
    model_dir: modelDir,
    out_dir: outDir,
    algo: restored.runConfig.algo,
    backend: `onnxruntime-${engineOptions().device}`,
    env_steps: loop.envSteps,
    updates: loop.updates,
    updates_per_second: loop.updates / Math.max(1e-9, seconds),
    ratio: options.ratio,
    bc_decay: options.bcDecay !== false,
    curve,
    versions,
    baseline_score: baseline,
    final_score: curve.at(-1)?.score ?? NaN,
    best_score: curve.length > 0 ? Math.max(...scores) : NaN,
    gain: curve.length > 0 ? Math.max(...scores) - baseline : NaN,
    final_gain: (curve.at(-1)?.score ?? NaN) - baseline,
    shield_counts: { ...shield.counts },
    filtered: loop.filtered,
    violations: loop.violations,
    actions_sent: loop.actionsSent,
    ood_states: ood,
    estop: estop
      ? { monitor: estop.monitor, key: estop.key, message: estop.message, env_step: loop.envSteps }
      : null,
    safety_events: { ...monitored.eventCounts },
    control_sources: { ...monitored.sources },
    curve_file: curveFile,
    plot_file: plotFile,
  };
  writeFileSync(join(outDir, "result.json"), JSON.stringify(result, null, 1) + "\n");
  return result;
}

function saveVersion(
  root: string,
  robot: LoadedRobot,
  learner: Learner,
  base: PolicyPackage,
  runConfig: RunConfigFile,
  point: CurvePoint,
  finetune: Record<string, unknown>,
): SavedVersion {
  const task = compileTask(robot.spec);
  const { version, dir } = claimVersionDir(root);
  const prov = base.manifest.provenance;
  const metrics = {
    "eval/normalized_score": point.score,
    "eval/ci_low": point.ci_low,
    "eval/ci_high": point.ci_high,
    "eval/return": point.mean_return,
    "finetune/env_step": point.env_step,
    "finetune/updates": point.updates,
  };
  writePolicyPackage(dir, {
    robot: robot.spec.name,
    obsNames: task.obsNames,
    actNames: task.actNames,
    actionLow: robot.spec.actuators.map((a) => a.range[0]),
    actionHigh: robot.spec.actuators.map((a) => a.range[1]),
    actor: learner.actorWeights(),
    // The support model describes the offline dataset, not the policy: the fine-tuned version keeps it.
    support: base.support,
    provenance: {
      algorithm: learner.algo,
      dataset: prov.dataset,
      datasetHash: prov.dataset_hash,
      config: { ...prov.config, finetune: { ...finetune, from: base.dir } },
      metrics,
      seed: prov.seed,
    },
    exportOnnx: exportPolicyOnnx,
  });
  saveCheckpoint(dir, learner.stateDict(), { finetune: { ...finetune, envStep: point.env_step } });
  writeFileSync(
    join(dir, CONFIG_FILE),
    JSON.stringify({ ...runConfig, finetune: { ...finetune, envStep: point.env_step } }, null, 2) + "\n",
  );
  return {
    version,
    dir,
    env_step: point.env_step,
    score: point.score,
    ci_low: point.ci_low,
    ci_high: point.ci_high,
  };
}

export async function curveSvg(curve: CurvePoint[], title: string): Promise<string> {
  const { renderVegaLiteSvg } = await import("../../data/plots.js");
  return renderVegaLiteSvg({
    title,
    width: 480,
    height: 260,
    data: { values: curve.map((p) => ({ ...p })) },
    layer: [
      {
        mark: { type: "area", opacity: 0.25 },
        encoding: {
          x: { field: "env_step", type: "quantitative", title: "environment steps" },
          y: { field: "ci_low", type: "quantitative", title: "normalized score (95% CI)" },
          y2: { field: "ci_high" },
        },
      },
      {
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "env_step", type: "quantitative" },
          y: { field: "score", type: "quantitative" },
        },
      },
    ],
  });
}
