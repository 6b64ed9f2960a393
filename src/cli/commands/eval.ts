/**
 * `tether eval --model <m> --robot <name> --episodes N`: the package's plain-TS policy in MujocoEnv; mean
 * normalized score with a 95% bootstrap confidence interval, plus support gap and quantile-box diagnostics.
 */
import type { Command } from "commander";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, TetherError } from "../../core/errors.js";
import { parseIntOption, printJsonLine } from "../run.js";
import { startProgress } from "../progress.js";

export function registerEval(program: Command): void {
  program
    .command("eval")
    .description(
      "Evaluate a policy package in simulation: normalized score with a 95% bootstrap CI and support diagnostics",
    )
    .requiredOption("--model <m>", "policy package: a name under models/ or a folder holding policy.json")
    .requiredOption("--robot <name>", "robot name under robots/ or a folder holding robot.yaml")
    .option("--episodes <n>", "episodes (at least 2 for an interval)", parseIntOption("--episodes"), 10)
    .option("--seed <s>", "episode k resets with seed + k", parseIntOption("--seed"), 0)
    .option(
      "--dataset <dir>",
      "dataset for the support gap at dataset states (default: the package's training dataset, if present)",
    )
    .option(
      "--fqe-steps <n>",
      "also estimate the policy's value by Fitted Q Evaluation on the dataset (0: off)",
      parseIntOption("--fqe-steps"),
      0,
    )
    .option(
      "--device <name>",
      "engine device of FQE: cpu | cuda (default: cuda when its provider loads, else cpu)",
    )
    .option("--json", "end stdout with one JSON object")
    .action(
      async (opts: {
        model: string;
        robot: string;
        episodes: number;
        seed: number;
        dataset?: string;
        fqeSteps: number;
        device?: string;
        json?: boolean;
      }) => {
        if (opts.episodes < 2) {
          throw new TetherError(
            "CLI",
            `--episodes expects at least 2 (a confidence interval needs 2 samples), got ${opts.episodes}`,
          );
        }
        const { REPO_ROOT, loadRobot } = await import("../../robot/load.js");
        const { compileTask } = await import("../../robot/task-functions.js");
        const { loadPolicyPackage, resolvePackageDir } = await import("../../policy/package.js");
        const modelDir = resolvePackageDir(opts.model);
        const pkg = loadPolicyPackage(modelDir);
        const robot = loadRobot(opts.robot);
        if (pkg.manifest.robot !== robot.spec.name) {
          throw new ConfigError(
            join(modelDir, "policy.json"),
            "robot",
            `the package was trained for another robot`,
            {
              expected: robot.spec.name,
              actual: pkg.manifest.robot,
              hint: `evaluate it with --robot ${pkg.manifest.robot}`,
            },
          );
        }
        const task = compileTask(robot.spec);
        let datasetDir = opts.dataset;
        if (datasetDir === undefined && pkg.manifest.provenance.dataset) {
          const candidates = [
            pkg.manifest.provenance.dataset,
            join(REPO_ROOT, pkg.manifest.provenance.dataset),
            join(REPO_ROOT, "logs", pkg.manifest.provenance.dataset),
          ];
          datasetDir = candidates.find((c) => existsSync(join(c, "manifest.json")));
        }
        let dataset;
        if (datasetDir !== undefined) {
          const { loadTransitions } = await import("../../data/dataset-reader.js");
          dataset = loadTransitions(datasetDir);
        }
        const { MujocoEnv } = await import("../../sim/mujoco-env.js");
        const { evaluatePackage } = await import("../../rl/eval/evaluate-package.js");
        const { formatCI } = await import("../../rl/eval/bootstrap.js");
        const env = await MujocoEnv.create(robot, { seed: opts.seed });
        try {
          const report = await evaluatePackage(pkg, env, {
            episodes: opts.episodes,
            seed: opts.seed,
            normalizedScore: (r) => task.normalizedScore(r),
            dataset,
            onEpisode: (e) => {
              if (opts.json) return;
              const score = e.normalizedScore === undefined ? "" : `  score ${e.normalizedScore.toFixed(1)}`;
              const end = e.termination ? `  terminated: ${e.termination}` : "";
              process.stdout.write(
                `episode ${String(e.index).padStart(3)}  return ${e.return.toFixed(3).padStart(10)}  steps ${e.length}${score}${end}\n`,
              );
            },
          });
          let fqe = null;
          if (opts.fqeSteps > 0) {
            if (!dataset) {
              throw new TetherError(
                "CLI",
                "--fqe-steps needs a dataset: pass --dataset or keep the package's training dataset in place",
              );
            }
            const { setupEngine } = await import("../device-option.js");
            process.stderr.write(`eval: FQE on ${await setupEngine(opts)}\n`);
            const { runFqe } = await import("../../rl/diagnostics/fqe.js");
            const { PolicyRunner } = await import("../../policy/runner.js");
            const runner = PolicyRunner.fromPackage(pkg);
            const batchPolicy = (rows: Float32Array): Float32Array => {
              const n = rows.length / runner.obsDim;
              const out = new Float32Array(n * runner.actDim);
              for (let i = 0; i < n; i++)
                runner.act(
                  rows.subarray(i * runner.obsDim, (i + 1) * runner.obsDim),
                  out.subarray(i * runner.actDim, (i + 1) * runner.actDim),
                );
              return out;
            };
            const progress = startProgress("fqe", opts.fqeSteps);
            fqe = runFqe(
              dataset,
              batchPolicy,
              { steps: opts.fqeSteps, seed: opts.seed },
              (step, _total, loss) => progress.update(step, { loss }),
            );
            progress.stop();
          }
          const summary = { model: modelDir, dataset: datasetDir ?? null, ...report, fqe };
          if (opts.json) return printJsonLine(summary);
          const lines = [
            `${robot.spec.name} / ${report.algorithm} (${modelDir})`,
            `normalized score ${report.normalized_score ? formatCI(report.normalized_score) : "n/a (robot.yaml has no reference_returns)"}`,
            `return           ${formatCI(report.return_ci, 3)}`,
            `support gap      ${report.support_gap === null ? "n/a (no dataset and no behavior model in the package)" : `${report.support_gap.toFixed(4)} (${report.support_gap_source})`}`,
            `outside box      ${(100 * report.outside_quantile_box).toFixed(1)}% of rollout actions outside the dataset's 0.5-99.5% quantiles` +
              (report.dataset_outside_quantile_box === null
                ? ""
                : `; ${(100 * report.dataset_outside_quantile_box).toFixed(1)}% at dataset states`),
            `terminated       ${report.terminated}/${report.episodes} episodes`,
          ];
          if (fqe)
            lines.push(
              `fqe value        ${fqe.initial_value.toFixed(3)} (discounted, γ=${fqe.discount}, ${fqe.initial_states} start states, Bellman loss ${fqe.bellman_loss.toPrecision(3)})`,
            );
          process.stdout.write(lines.join("\n") + "\n");
        } finally {
          env.close();
        }
      },
    );
}
