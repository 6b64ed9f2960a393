/**
 * `tether deploy --model <m> --stage <s>`: runs one stage of the deployment ladder for a policy package,
 * decides with the gates (YAML) and records promote / hold / rollback in <model>/stages.json.
 */
import type { Command } from "commander";
import { ConfigError } from "../../core/errors.js";
import { parseFloatOption, parseIntOption, printJsonLine } from "../run.js";
import { startProgress } from "../progress.js";

interface DeployOpts {
  model: string;
  stage: string;
  robot?: string;
  gates?: string;
  dataset?: string;
  fallback?: string;
  episodes: number;
  seed: number;
  fraction: number;
  version: string;
  json?: boolean;
}

export function registerDeploy(program: Command): void {
  program
    .command("deploy")
    .description(
      "Run one deployment stage (offline-eval, sim-eval, sim-finetune, shadow, canary, full) behind its gates",
    )
    .requiredOption("--model <m>", "policy package folder, or a name under models/")
    .requiredOption("--stage <s>", "offline-eval | sim-eval | sim-finetune | shadow | canary | full")
    .option("--robot <name>", "robot (default: the package's robot)")
    .option("--gates <file>", "gates YAML (default: the built-in gates)")
    .option("--dataset <dir>", "dataset folder (default: the one the package was trained on)")
    .option("--fallback <pkg>", "fallback controller package (BC); default: the package's behavior model")
    .option("--episodes <n>", "episodes for sim, shadow and canary stages", parseIntOption("--episodes"), 10)
    .option("--seed <s>", "seed", parseIntOption("--seed"), 0)
    .option(
      "--fraction <f>",
      "canary: fraction of ticks the policy acts",
      parseFloatOption("--fraction"),
      0.5,
    )
    .option("--version <v>", "version label recorded in the ledger", "v0")
    .option("--json", "end stdout with one JSON object: the ledger entry and the stage's details")
    .action(async (opts: DeployOpts) => {
      const { existsSync } = await import("node:fs");
      const { join } = await import("node:path");
      const { isStage, STAGES } = await import("../../deploy/stages.js");
      if (!isStage(opts.stage))
        throw new ConfigError("--stage", "stage", `unknown stage "${opts.stage}"`, {
          expected: STAGES.join(" | "),
        });
      if (!(opts.fraction > 0 && opts.fraction <= 1))
        throw new ConfigError("--fraction", "fraction", "must be in (0, 1]", {
          actual: String(opts.fraction),
        });
      const { loadRobot } = await import("../../robot/load.js");
      const { loadPolicyPackage, resolvePackageDir } = await import("../../policy/package.js");
      const modelDir = resolvePackageDir(opts.model);
      const pkg = loadPolicyPackage(modelDir);
      const datasetDir = opts.dataset ?? pkg.manifest.provenance.dataset;
      if (!datasetDir || !existsSync(datasetDir))
        throw new ConfigError(
          `${modelDir}/policy.json`,
          "provenance.dataset",
          "the training dataset is not at hand",
          {
            actual: String(datasetDir),
            hint: "pass --dataset <dir>",
          },
        );
      const { loadTransitions } = await import("../../data/dataset-reader.js");
      const { DEFAULT_GATES, loadGates } = await import("../../deploy/gates.js");
      const { runStage } = await import("../../deploy/run-stage.js");
      const stage = opts.stage;
      const bar = startProgress(
        stage,
        stage === "offline-eval" ? 1000 : stage === "sim-finetune" ? 5000 : opts.episodes,
      );
      const outcome = await runStage(
        stage,
        {
          robot: loadRobot(opts.robot ?? pkg.manifest.robot),
          pkg,
          version: opts.version,
          dataset: loadTransitions(datasetDir),
          datasetDir,
          fallbackPkg: opts.fallback ? loadPolicyPackage(opts.fallback) : undefined,
          runLogDir: join(modelDir, "runlogs"),
          episodes: opts.episodes,
          seed: opts.seed,
          fqeSteps: 1000,
          onProgress: (d) => bar.update(d),
        },
        {
          gates: opts.gates ? loadGates(opts.gates) : DEFAULT_GATES,
          canaryFraction: opts.fraction,
          shadowBehavior: "medium",
          finetuneSteps: 5000,
        },
      ).finally(() => bar.stop());
      const { entry, result } = outcome;
      if (opts.json)
        return printJsonLine({
          ...entry,
          details: result.details,
          run_log: result.runLog ?? null,
          ledger: join(modelDir, "stages.json"),
        });
      const lines = [
        `${stage} ${entry.version}: ${entry.decision}${entry.rolled_back_to ? ` -> ${entry.rolled_back_to}` : ""}`,
      ];
      for (const c of entry.checks)
        lines.push(
          `  ${c.passed ? "pass" : "FAIL"}  ${c.gate.padEnd(20)} observed ${c.observed ?? "none"}  (${c.rule})`,
        );
      for (const [k, v] of Object.entries(result.details)) lines.push(`  ${k}: ${v}`);
      if (result.runLog) lines.push(`  run log: ${result.runLog}`);
      lines.push(`  ledger: ${join(modelDir, "stages.json")}`);
      process.stdout.write(lines.join("\n") + "\n");
    });
}
