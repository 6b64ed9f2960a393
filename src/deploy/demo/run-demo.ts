/**
 * `tether demo`: the whole story on one robot in the embedded runtime.
 *   collect (launch/record.launch.xml, medium level) -> train IQL and a BC baseline -> offline-eval ->
 *   sim-eval -> sim-finetune -> shadow -> canary -> full, each stage gated and recorded in the model's
 *   ledger -> run-summary.json + report.html -> summary table.
 * Every step's outputs go to their own folder and run-state.json is rewritten atomically after each step,
 * so an interrupted run is consistent and `--resume <run-dir>` skips what completed.
 */
import { existsSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { NotAvailableError } from "../../core/errors.js";
import { REPO_ROOT } from "../../robot/load.js";
import type { MetricSeries, RunSummary, StageRecord } from "../../report/run-summary.js";
import type { GatesConfig } from "../gates.js";
import type { LedgerEntry } from "../ledger.js";
import { STAGES, type Stage } from "../stages.js";
import type { StageRunResult } from "../runners/types.js";
import { DEMO_GATES, DEMO_PRESETS, type DemoBudget } from "./presets.js";
import { checkRobotName, ensureWritableDir, newRunDir } from "./run-dir.js";
import { readRunState, writeRunState, type RunState, type StepRecord } from "./run-state.js";

export interface DemoOptions {
  robot: string;
  budget?: DemoBudget;
  out?: string;
  resume?: string;
  seed?: number;
  gates?: GatesConfig;
  /** Stage banners and notes (stderr in the CLI). */
  log?: (line: string) => void;
  /** A progress bar factory (src/cli/progress.ts in the CLI). */
  /** Called once the run folder is known (the CLI's Ctrl-C message names it). */
  onRunDir?: (dir: string) => void;
  progress?: (
    label: string,
    total: number,
  ) => { update(done: number, fields?: Record<string, string | number>): void; stop(): void };
}

export interface DemoResult {
  runDir: string;
  summary: RunSummary;
  table: string;
  report: string;
  state: RunState;
}

interface StageStepOutput extends Record<string, unknown> {
  entry: LedgerEntry;
  result: StageRunResult;
}

const noProgress = { update: () => undefined, stop: () => undefined };

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const log = options.log ?? (() => undefined);
  const progress = options.progress ?? (() => noProgress);
  const seed = options.seed ?? 0;
  const gates = options.gates ?? DEMO_GATES;
  let runDir: string;
  let state: RunState;
  if (options.resume !== undefined) {
    runDir = resolve(options.resume);
    state = readRunState(runDir);
    ensureWritableDir(runDir);
    checkRobotName(state.robot);
    log(`resuming ${runDir}: ${Object.keys(state.steps).length} step(s) already done`);
  } else {
    checkRobotName(options.robot);
    const made = newRunDir(options.robot, seed, options.out);
    runDir = made.dir;
    state = {
      run_id: made.runId,
      robot: options.robot,
      preset: options.budget?.name ?? "default",
      started: new Date().toISOString(),
      elapsed_before_s: 0,
      steps: {},
      finished: false,
    };
    writeRunState(runDir, state);
  }
  options.onRunDir?.(runDir);
  const budget =
    options.budget ?? DEMO_PRESETS[state.preset as keyof typeof DEMO_PRESETS] ?? DEMO_PRESETS.default;
  const robot = state.robot;
  const t0 = performance.now();
  const elapsedAtStart = state.elapsed_before_s;
  const now = (): number => elapsedAtStart + (performance.now() - t0) / 1000;

  const step = async (
    name: string,
    fn: () => Promise<{ output: Record<string, unknown>; skipped?: string }>,
  ): Promise<StepRecord> => {
    const done = state.steps[name];
    if (done) {
      log(`== ${name}: ${done.status} earlier, skipped on resume`);
      return done;
    }
    log(`== ${name}`);
    const started = now();
    const r = await fn();
    const rec: StepRecord = {
      status: r.skipped ? "skipped" : "completed",
      reason: r.skipped,
      started_s: started,
      ended_s: now(),
      output: r.output,
    };
    state.steps[name] = rec;
    state.elapsed_before_s = now();
    writeRunState(runDir, state);
    log(
      `   ${name}: ${rec.status}${rec.reason ? ` (${rec.reason})` : ""} in ${(rec.ended_s - started).toFixed(1)} s`,
    );
    return rec;
  };

  // 1. collect through the recorder launch file
  const datasetDir = join(runDir, "datasets", `${robot}-medium`);
  await step("collect", async () => {
    rmSync(datasetDir, { recursive: true, force: true });
    const { collectViaLaunch } = await import("../../nodes/recorder/collect-via-launch.js");
    const bar = progress("collect medium", budget.collectEpisodes);
    try {
      const r = await collectViaLaunch({
        robot,
        level: "medium",
        episodes: budget.collectEpisodes,
        out: datasetDir,
        seed,
        onProgress: (n) => bar.update(n),
      });
      return { output: { dataset: datasetDir, episodes: r.episodes, transitions: r.transitions } };
    } finally {
      bar.stop();
    }
  });

  // 2. train IQL and the BC baseline
  const train = async (algo: "iql" | "bc", steps: number): Promise<StepRecord> =>
    step(`train-${algo}`, async () => {
      const out = join(runDir, "models", algo);
      rmSync(out, { recursive: true, force: true });
      const { runTraining } = await import("../../rl/run-training.js");
      const bar = progress(`train ${algo}`, steps);
      const every = Math.max(1, Math.floor(steps / 50));
      const series = new Map<string, { step: number; value: number }[]>();
      try {
        const r = await runTraining(
          {
            algo,
            dataset: datasetDir,
            robot,
            steps,
            out,
            seed,
            evalEvery: budget.evalEvery,
            evalEpisodes: budget.evalEpisodes,
            resume: false,
            batchSize: budget.batchSize,
            config: { hidden: budget.hidden },
            supportSteps: Math.max(20, Math.floor(steps / 2)),
          },
          {
            onProgress: (s, metrics) => {
              if (s % every === 0 || s === steps) {
                for (const [k, v] of Object.entries(metrics)) {
                  if (!k.startsWith("loss/") || !Number.isFinite(v)) continue;
                  const pts = series.get(k) ?? [];
                  pts.push({ step: s, value: v });
                  series.set(k, pts);
                }
                bar.update(s);
              }
            },
          },
        );
        const metrics: MetricSeries[] = [...series].map(([metric, points]) => ({
          run: algo,
          metric,
          points,
        }));
        const scores = r.evals.filter((e) => e.meanNormalizedScore !== undefined);
        if (scores.length > 0)
          metrics.push({
            run: algo,
            metric: "eval/normalized_score",
            points: scores.map((e) => ({ step: e.step, value: e.meanNormalizedScore as number })),
          });
        return { output: { package: out, series: metrics, updates_per_s: r.updatesPerSecond } };
      } finally {
        bar.stop();
      }
    });
  await train("iql", budget.iqlSteps);
  await train("bc", budget.bcSteps);

  // 3. the stage ladder
  const modelDir = join(runDir, "models", "iql");
  const { loadPolicyPackage } = await import("../../policy/package.js");
  const { loadTransitions } = await import("../../data/dataset-reader.js");
  const { loadRobot } = await import("../../robot/load.js");
  const { runStage } = await import("../run-stage.js");
  const dataset = loadTransitions(datasetDir);
  let blocked: string | undefined;
  /** The package the later stages run: the fine-tuned version once sim-finetune promoted one. */
  const active = (): { dir: string; version: string } => {
    const ft = state.steps["stage:sim-finetune"]?.output as Partial<StageStepOutput> | undefined;
    const r = ft?.result as { packageDir?: string; version?: string } | undefined;
    if (ft?.entry?.decision === "promote" && r?.packageDir && r.version)
      return { dir: r.packageDir, version: r.version };
    return { dir: modelDir, version: "v0" };
  };
  for (const stage of STAGES) {
    await step(`stage:${stage}`, async () => {
      if (blocked) return { output: {}, skipped: blocked };
      const total =
        stage === "offline-eval"
          ? Math.max(1, budget.fqeSteps)
          : stage === "sim-finetune"
            ? budget.finetuneSteps
            : budget.stageEpisodes;
      const use = active();
      const bar = progress(stage, total);
      const ctx = {
        robot: loadRobot(robot),
        pkg: loadPolicyPackage(use.dir),
        version: use.version,
        dataset,
        datasetDir,
        fallbackPkg: loadPolicyPackage(join(runDir, "models", "bc")),
        runLogDir: join(runDir, "runlogs"),
        episodes: budget.stageEpisodes,
        seed,
        fqeSteps: budget.fqeSteps,
        onProgress: (d: number) => bar.update(d),
      };
      try {
        const outcome = await runStage(stage, ctx, {
          gates,
          canaryFraction: budget.canaryFraction,
          shadowBehavior: "medium",
          finetuneSteps: budget.finetuneSteps,
          modelDir,
          modelName: "iql",
        });
        const output: StageStepOutput = { entry: outcome.entry, result: outcome.result };
        log(`   ${stage}: ${outcome.entry.decision}` + checksLine(outcome.entry));
        return { output };
      } catch (err) {
        if (err instanceof NotAvailableError) return { output: {}, skipped: err.message.split("\n")[0] };
        throw err;
      } finally {
        bar.stop();
      }
    }).then((rec) => {
      const entry = (rec.output as Partial<StageStepOutput>).entry;
      if (entry && entry.decision !== "promote" && blocked === undefined)
        blocked = `${stage} decided ${entry.decision}; later stages do not run`;
    });
  }

  // 4. report
  const summary = buildSummary(state, runDir, now(), gates);
  const { writeRunReport } = await import("../../report/run-report.js");
  const { formatRunSummaryTable } = await import("../../report/summary-text.js");
  const written = await writeRunReport(runDir, summary);
  state.finished = true;
  state.elapsed_before_s = now();
  writeRunState(runDir, state);
  summary.paths.report = written.report;
  return { runDir, summary, table: formatRunSummaryTable(summary), report: written.report, state };
}

function checksLine(entry: LedgerEntry): string {
  const failed = entry.checks
    .filter((c) => !c.passed)
    .map((c) => `${c.gate} (${c.rule}, observed ${c.observed ?? "none"})`);
  return failed.length > 0 ? ` — failed: ${failed.join("; ")}` : "";
}

function rel(p: string): string {
  const r = relative(REPO_ROOT, p);
  return r.startsWith("..") ? p : r;
}

/** The RunSummary from the run state alone (so a resumed run reports the steps done before). */
export function buildSummary(
  state: RunState,
  runDir: string,
  wallTimeS: number,
  gates: GatesConfig = DEMO_GATES,
): RunSummary {
  const modelDir = join(runDir, "models", "iql");
  const summary: RunSummary = {
    format: 1,
    run_id: state.run_id,
    robot: state.robot,
    started: state.started,
    wall_time_s: wallTimeS,
    offline: [],
    finetune: [],
    stages: [],
    support_gap: [],
    safety_events: [],
    paths: { model: rel(modelDir), datasets: [], run_logs: [] },
  };
  const collect = state.steps.collect;
  if (collect?.output.dataset) summary.paths.datasets?.push(rel(String(collect.output.dataset)));
  for (const algo of ["iql", "bc"]) {
    const s = state.steps[`train-${algo}`];
    if (s?.output.series) summary.offline.push(...(s.output.series as MetricSeries[]));
  }
  for (const stage of STAGES as readonly Stage[]) {
    const s = state.steps[`stage:${stage}`];
    const out = s?.output as Partial<StageStepOutput> | undefined;
    if (!s || !out?.entry || !out.result) continue;
    const r = out.result;
    const record: StageRecord = { ...out.entry, span: { start_s: s.started_s, end_s: s.ended_s } };
    if (r.baselines) record.baselines = r.baselines;
    summary.stages.push(record);
    summary.safety_events.push(...r.events);
    if (r.runLog) summary.paths.run_logs?.push(rel(r.runLog));
    const curve = (r as { curve?: MetricSeries }).curve;
    if (curve) summary.finetune.push(curve);
    if (r.gapSamples && r.gapSamples.length > 0 && (stage === "offline-eval" || stage === "sim-eval"))
      summary.support_gap.push({
        policy: stage === "offline-eval" ? "iql (dataset states)" : "iql (sim, shielded)",
        values: r.gapSamples,
      });
    const gate = gates["offline-eval"]?.max_support_gap;
    if (gate !== undefined) summary.support_gap_threshold = gate;
  }
  if (!existsSync(modelDir)) summary.paths.model = rel(modelDir);
  return summary;
}
