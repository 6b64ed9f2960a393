/**
 * `tether bench finetune`: online fine-tuning behind the full default chain (shield + brake + monitors +
 * e-stop) against an offline-only control with the same update budget (`--ratio 1.0`: the same updates, on
 * offline data only, the same evaluation seeds; ReBRAC keeps its offline BC weights there), per seed; the gain is the paired difference at the last
 * evaluation both arms reached. It collects the dataset (logs/<robot>-<level>-<N>ep, as bench quality does)
 * and trains the offline policy (models/finetune-…) when missing, reusing them otherwise; two benches sharing
 * --models-dir train it once (a pid lock beside the folder). Every training and fine-tune run is the real
 * `tether train` / `tether finetune` in a child process, so arms can run side by side (`--jobs 2`) and the
 * figures are those of the command a user runs.
 */
import type { Command } from "commander";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { TetherError } from "../../core/errors.js";
import type { FinetuneJobResult } from "../../nodes/finetune/finetune-job.js";
import type { SeedPair } from "../../rl/eval/paired-gain.js";
import type { CurvePoint } from "../../rl/finetune/finetune-loop.js";
import { parseHiddenOption, parseIntOption, printJsonLine } from "../run.js";
import { addOnlineBudgetOptions } from "./online-budget-options.js";
import { tryPidLock, withPidLock } from "./pid-lock.js";

interface FinetuneBenchFlags {
  robot: string;
  algo: string;
  seeds: number;
  firstSeed: number;
  envSteps: number;
  evalEvery: number;
  evalEpisodes: number;
  ratio: number;
  updatesPerStep: number;
  explorationStd: number;
  level: string;
  datasetEpisodes?: number;
  hidden?: number[];
  offlineSteps?: number;
  dataDir?: string;
  modelsDir?: string;
  out?: string;
  jobs: number;
  threads: number;
  partial?: boolean;
  json?: boolean;
}

/** Offline updates when the robot's benchmark section does not ask for more: the policy near its plateau. */
export const DEFAULT_OFFLINE_STEPS = 60_000;

export function registerBenchFinetune(bench: Command): void {
  const cmd = bench
    .command("finetune")
    .description(
      "Online fine-tuning behind shield + brake + monitors + e-stop vs an offline-only control with the same updates: paired gain per seed and pooled",
    )
    .requiredOption("--robot <name>", "robot folder name under robots/ (or a path)")
    .option("--algo <name>", "offline algorithm to fine-tune (iql | awac | calql | rebrac)", "iql")
    .option("--seeds <n>", "fine-tune seeds, each with both arms", parseIntOption("--seeds"), 2)
    .option(
      "--first-seed <n>",
      "seeds are first..first+seeds-1 (split one bench over processes sharing --out, then pool them)",
      parseIntOption("--first-seed"),
      0,
    );
  addOnlineBudgetOptions(cmd, {
    envSteps: { help: "online env steps per arm", default: 100_000 },
    evalEvery: { help: "evaluate every N env steps", default: 10_000 },
    evalEpisodes: { help: "episodes per evaluation (the same seeds in both arms)", default: 20 },
    ratio: { help: "offline fraction of each batch in the online arm", default: 0.5 },
    updatesPerStep: { help: "learner updates per env step, both arms", default: 0.5 },
    explorationStd: {
      help: "Gaussian exploration noise (normalized units), before the shield",
      default: 0.1,
    },
  });
  cmd
    .option("--level <name>", "offline dataset level", "medium")
    .option(
      "--dataset-episodes <n>",
      "offline dataset episodes (default: the robot's benchmark.dataset_episodes)",
      parseIntOption("--dataset-episodes"),
    )
    .option(
      "--hidden <widths>",
      "network widths of the offline policy (default: the robot's benchmark.hidden)",
      parseHiddenOption,
    )
    .option(
      "--offline-steps <n>",
      `offline updates (default: the larger of the robot's benchmark.steps and ${DEFAULT_OFFLINE_STEPS})`,
      parseIntOption("--offline-steps"),
    )
    .option("--data-dir <dir>", "where the dataset is read or collected (default: logs/)")
    .option("--models-dir <dir>", "where the offline policy is read or trained (default: models/)")
    .option("--out <dir>", "run folders of every arm (default: logs/bench-finetune/<robot>-<time>)")
    .option("--jobs <n>", "arms run at the same time (child processes)", parseIntOption("--jobs"), 1)
    .option("--threads <n>", "engine threads per child", parseIntOption("--threads"), 1)
    .option(
      "--partial",
      "run nothing: figures from the arms in --out as far as they got (unfinished arms: their curve.jsonl so far)",
    )
    .option("--json", "end stdout with one JSON object")
    .action(async (flags: FinetuneBenchFlags) => {
      const summary = await benchFinetune(flags);
      if (flags.json) printJsonLine(summary);
      else
        process.stdout.write(
          `${summary.robot}: gain ${summary.gain.toFixed(1)} [${summary.gain_ci_low.toFixed(1)}, ${summary.gain_ci_high.toFixed(1)}] over the offline-only control, ${summary.estops} e-stops, ${summary.shield_interventions} shield interventions, ${summary.env_steps} env steps per arm\n`,
        );
    });
}

interface ArmRun {
  seed: number;
  arm: "online" | "control";
  curve: CurvePoint[];
  /** Undefined for an arm still running or interrupted (--partial): it has had no e-stop, which ends a run and writes its result. */
  result?: FinetuneJobResult;
}

async function benchFinetune(flags: FinetuneBenchFlags) {
  const { loadRobot, REPO_ROOT } = await import("../../robot/load.js");
  const { assertAlgoName } = await import("../../rl/algos/registry.js");
  const { DATASET_LEVELS } = await import("../commands/collect.js");
  const { loadTransitions, episodeReturns } = await import("../../data/dataset-reader.js");
  const { compileTask } = await import("../../robot/task-functions.js");
  const { qualityScale, openBenchDataset } = await import("./quality-scale.js");
  const { pairedGain } = await import("../../rl/eval/paired-gain.js");

  const algo = assertAlgoName(flags.algo, "--algo");
  if (!(DATASET_LEVELS as readonly string[]).includes(flags.level))
    throw new TetherError(
      "CLI",
      `--level: unknown level "${flags.level}" (known: ${DATASET_LEVELS.join(", ")})`,
    );
  for (const [name, v, min] of [
    ["--seeds", flags.seeds, 1],
    ["--first-seed", flags.firstSeed, 0],
    ["--env-steps", flags.envSteps, 1],
    ["--eval-episodes", flags.evalEpisodes, 2],
    ["--jobs", flags.jobs, 1],
    ["--threads", flags.threads, 1],
  ] as const)
    if (v < min) throw new TetherError("CLI", `${name} must be at least ${min}, got ${v}`);
  if (!(flags.ratio >= 0 && flags.ratio < 1))
    throw new TetherError("CLI", `--ratio must be in [0, 1) (1 is the control), got ${flags.ratio}`);

  const started = Date.now();
  const load = { start: loadavg().map(round2), end: [] as number[] };
  const robot = loadRobot(flags.robot);
  const name = robot.spec.name;
  const scale = qualityScale(robot.spec, {
    dataset_episodes: flags.datasetEpisodes,
    hidden: flags.hidden,
    steps: flags.offlineSteps ?? Math.max(robot.spec.benchmark.steps, DEFAULT_OFFLINE_STEPS),
  });
  const log = (line: string): void => void process.stderr.write(`bench finetune: ${line}\n`);

  const missing = (what: string): never => {
    throw new TetherError("CLI", `--partial: ${what} is missing; run the bench without --partial first`);
  };
  const ds = await openBenchDataset({
    dataDir: resolve(flags.dataDir ?? join(REPO_ROOT, "logs")),
    robot: flags.robot,
    robotName: name,
    level: flags.level,
    episodes: scale.dataset_episodes,
    log,
    onMissing: (dir) => {
      if (flags.partial) missing(dir);
    },
  });
  const datasetDir = ds.dir;
  const rets = Array.from(episodeReturns(loadTransitions(ds)).returns);
  const behavior = compileTask(robot.spec).normalizedScore(rets.reduce((a, b) => a + b, 0) / rets.length);

  const modelDir = join(
    resolve(flags.modelsDir ?? join(REPO_ROOT, "models")),
    `finetune-${name}-${flags.level}-${scale.dataset_episodes}ep-${algo}-${scale.hidden.join("x")}-${scale.steps}u`,
  );
  // Two benches sharing --models-dir may both find the policy missing: one trains it, the other waits and
  // reuses it. policy.json is written only after the trainer's last checkpoint, so a package holding it is
  // finished and is reused without the lock. The lock sits beside the folder, as the datasets' does.
  const trained = (): boolean =>
    existsSync(join(modelDir, "policy.json")) && existsSync(join(modelDir, "config.json"));
  const reuse = (): void => log(`reusing the offline policy ${modelDir}`);
  if (trained()) reuse();
  else
    await withPidLock(`${modelDir}.pid`, `training ${modelDir}`, log, async () => {
      if (trained()) return reuse();
      if (flags.partial) missing(modelDir);
      log(`training ${algo} ${scale.hidden.join("x")} for ${scale.steps} updates into ${modelDir}`);
      await tetherChild(
        [
          "train",
          ...["--algo", algo, "--dataset", datasetDir, "--robot", flags.robot],
          ...["--hidden", scale.hidden.join(","), "--steps", String(scale.steps), "--seed", "0"],
          ...["--eval-every", "0", "--threads", String(flags.threads), "--out", modelDir, "--json"],
        ],
        "train",
        log,
      );
    });

  const outRoot = resolve(
    flags.out ??
      join(REPO_ROOT, "logs", "bench-finetune", `${name}-${new Date().toISOString().replace(/[:.]/g, "-")}`),
  );
  mkdirSync(outRoot, { recursive: true });
  const arms: { seed: number; arm: "online" | "control"; ratio: number }[] = [];
  const seeds = Array.from({ length: flags.seeds }, (_, i) => flags.firstSeed + i);
  for (const seed of seeds)
    arms.push({ seed, arm: "online", ratio: flags.ratio }, { seed, arm: "control", ratio: 1 });
  // The control is the offline algorithm trained longer, so ReBRAC keeps its offline BC weights there.
  // Only ReBRAC has an online BC schedule; other algorithms' arguments stay as they were, so their
  // finished control arms are still reused.
  const controlArgs = algo === "rebrac" ? ["--no-bc-decay"] : [];
  const runs = await pool(arms, flags.jobs, async ({ seed, arm, ratio }): Promise<ArmRun> => {
    const label = `s${seed} ${arm}`;
    const runDir = join(outRoot, `s${seed}-${arm}`);
    const args = [
      "finetune",
      ...["--model", modelDir, "--robot", flags.robot, "--dataset", datasetDir],
      ...["--env-steps", String(flags.envSteps), "--ratio", String(ratio)],
      ...[
        "--updates-per-step",
        String(flags.updatesPerStep),
        "--exploration-std",
        String(flags.explorationStd),
      ],
      ...["--eval-every", String(flags.evalEvery), "--eval-episodes", String(flags.evalEpisodes)],
      ...["--seed", String(seed), "--threads", String(flags.threads)],
      ...["--out", runDir, "--json"],
      ...(arm === "control" ? controlArgs : []),
    ];
    // An arm finished with exactly these arguments (same --out) is reused: a long bench can be re-run after
    // an interruption without repeating the arms it completed.
    const argsFile = join(runDir, "bench-args.json");
    const resultFile = join(runDir, "result.json");
    let result: FinetuneJobResult;
    const sameArgs = existsSync(argsFile) && readFileSync(argsFile, "utf8") === JSON.stringify(args);
    if (existsSync(resultFile) && sameArgs) {
      result = JSON.parse(readFileSync(resultFile, "utf8")) as FinetuneJobResult;
      log(`${label}: reusing the finished run in ${runDir}`);
    } else if (flags.partial) {
      if (!sameArgs || !existsSync(join(runDir, "curve.jsonl")))
        throw new TetherError("CLI", `--partial: no arm started with these arguments in ${runDir}`);
      const curve = readFileSync(join(runDir, "curve.jsonl"), "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as CurvePoint);
      log(`${label}: unfinished, evaluated up to env step ${curve.at(-1)?.env_step ?? "none"}`);
      return { seed, arm, curve };
    } else {
      // Two benches sharing --out must not run the same arm: the second would truncate the first's curve.
      mkdirSync(runDir, { recursive: true });
      const lock = tryPidLock(join(runDir, "bench.pid"), (stale) =>
        log(`${label}: taking over ${join(runDir, "bench.pid")} from process ${stale}, which is gone`),
      );
      if (!("release" in lock))
        throw new TetherError("BENCH", `${label}: process ${lock.owner} is running this arm in ${runDir}`, {
          hint: "split seeds between benches with --first-seed/--seeds, or wait and re-run to reuse it",
        });
      log(`${label}: fine-tune ${flags.envSteps} env steps at ratio ${ratio}`);
      try {
        rmSync(resultFile, { force: true });
        writeFileSync(argsFile, JSON.stringify(args));
        result = JSON.parse(await tetherChild(args, label, log)) as FinetuneJobResult;
      } finally {
        lock.release();
      }
    }
    log(
      `${label}: done, final ${result.final_score.toFixed(1)} (step 0: ${result.baseline_score.toFixed(1)}), e-stop ${result.estop ? result.estop.monitor : "none"}`,
    );
    return { seed, arm, curve: result.curve, result };
  });

  const pairs: (SeedPair & { env_step: number })[] = [];
  const curve = [];
  for (const seed of seeds) {
    const online = runs.find((r) => r.seed === seed && r.arm === "online")!;
    const control = runs.find((r) => r.seed === seed && r.arm === "control")!;
    const at = lastCommonStep(online, control);
    if (at === undefined)
      throw new TetherError("BENCH", `seed ${seed}: the arms share no evaluation (e-stop before the first?)`);
    pairs.push({ seed, online: at.online.scores, control: at.control.scores, env_step: at.step });
    curve.push({
      seed,
      points: online.curve
        .map((p) => ({ p, c: control.curve.find((q) => q.env_step === p.env_step) }))
        .filter((x) => x.c !== undefined)
        .map(({ p, c }) => ({ env_step: p.env_step, online: round2(p.score), control: round2(c!.score) })),
    });
  }
  const paired = pairedGain(pairs, { seed: 0 });
  const all = runs.flatMap((r) => (r.result ? [r.result] : []));
  const unfinished = runs.filter((r) => !r.result).map((r) => `s${r.seed}-${r.arm}`);
  load.end = loadavg().map(round2);
  const perRun = runs.map(({ seed, arm, curve: c, result: r }) =>
    r === undefined
      ? { seed, arm, finished: false, evaluated_to: c.at(-1)?.env_step ?? 0, estop: null }
      : {
          seed,
          arm,
          finished: true,
          ratio: r.ratio,
          bc_decay: r.bc_decay,
          env_steps: r.env_steps,
          updates: r.updates,
          baseline_score: r.baseline_score,
          final_score: r.final_score,
          shield_interventions: r.filtered,
          brake_ticks: r.shield_counts.brake,
          shield_counts: r.shield_counts,
          safety_events: r.safety_events,
          control_sources: r.control_sources,
          ood_states: r.ood_states,
          violations: r.violations,
          estop: r.estop,
          out_dir: r.out_dir,
        },
  );
  return {
    benchmark: "finetune",
    robot: name,
    algo,
    gain: paired.gain,
    gain_ci_low: paired.gain_ci_low,
    gain_ci_high: paired.gain_ci_high,
    estops: all.filter((r) => r.estop !== null).length,
    shield_interventions: all.reduce((n, r) => n + r.filtered, 0),
    // An unfinished arm counts as far as it was evaluated; its safety counts are not known yet.
    env_steps: Math.min(...runs.map((r) => r.result?.env_steps ?? r.curve.at(-1)?.env_step ?? 0)),
    brake_ticks: all.reduce((n, r) => n + r.shield_counts.brake, 0),
    violations: all.reduce((n, r) => n + r.violations, 0),
    target: {
      min_gain: 10,
      env_steps: flags.envSteps,
      met:
        unfinished.length === 0 && paired.gain >= 10 && paired.gain_ci_low > 0 && all.every((r) => !r.estop),
    },
    partial: unfinished.length > 0,
    unfinished_arms: unfinished,
    per_seed: paired.per_seed.map((s, i) => ({ ...s, env_step: pairs[i].env_step })),
    curve,
    runs: perRun,
    chain: "shield + brake + monitors + e-stop (finetune defaults)",
    dataset: {
      dir: datasetDir,
      level: flags.level,
      episodes: scale.dataset_episodes,
      behavior_score: behavior ?? null,
    },
    offline_policy: { dir: modelDir, hidden: scale.hidden, steps: scale.steps },
    settings: {
      seeds,
      env_steps: flags.envSteps,
      eval_every: flags.evalEvery,
      eval_episodes: flags.evalEpisodes,
      ratio: flags.ratio,
      control_ratio: 1,
      updates_per_step: flags.updatesPerStep,
      exploration_std: flags.explorationStd,
      jobs: flags.jobs,
      threads: flags.threads,
    },
    out_dir: outRoot,
    wall_seconds: Math.round((Date.now() - started) / 1000),
    load_average: load,
  };
}

/** The last evaluation step both arms recorded (an e-stop ends a run early), with each arm's point there. */
export function lastCommonStep(online: { curve: CurvePoint[] }, control: { curve: CurvePoint[] }) {
  for (let i = online.curve.length - 1; i >= 0; i--) {
    const p = online.curve[i];
    const c = control.curve.find((q) => q.env_step === p.env_step);
    if (c) return { step: p.env_step, online: p, control: c };
  }
  return undefined;
}

/** Runs `fn` over `items` with at most `jobs` at a time; results in item order. */
async function pool<T, R>(items: T[], jobs: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  return results;
}

/**
 * Runs the tether CLI in a child process (this process's Node and tsx loader) and returns its last stdout
 * line; its stderr evaluation and error lines are forwarded with the label. A non-zero exit is an error.
 */
async function tetherChild(args: string[], label: string, log: (line: string) => void): Promise<string> {
  const { REPO_ROOT } = await import("../../robot/load.js");
  const child = spawn(process.execPath, [join(REPO_ROOT, "src/cli/bin.js"), ...args], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let errTail = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    errTail = (errTail + d).slice(-4000);
    for (const line of d.split("\n"))
      if (/score|e-stop|error/i.test(line) && !/\(\d+%\)/.test(line)) log(`${label}: ${line.trim()}`);
  });
  const code = await new Promise<number | null>((res, rej) => {
    child.on("error", rej);
    child.on("close", res);
  });
  if (code !== 0)
    throw new TetherError("BENCH", `${label}: tether ${args[0]} exited with ${code}`, {
      stderr: errTail.slice(-1500),
    });
  const lines = stdout.trim().split("\n");
  return lines[lines.length - 1];
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
