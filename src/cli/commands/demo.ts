/**
 * `tether demo ood-bandit`: the seed chapter's contextual bandit (naive Q vs CQL vs TD3+BC, plus IQL and
 * AWAC). The bare `tether demo` (the end-to-end demo) is wired by the lead later; until then it says so.
 */
import type { Command } from "commander";
import { NotAvailableError, TetherError } from "../../core/errors.js";
import { parseIntOption, printJsonLine } from "../run.js";
import { startProgress } from "../progress.js";

export function registerDemo(program: Command): void {
  const demo = program
    .command("demo")
    .description(
      "Demonstrations: `demo ood-bandit` (the offline-RL chapter's experiment); bare `demo` runs the end-to-end demo",
    )
    .action(() => {
      throw new NotAvailableError("the end-to-end demo (`tether demo`)", "not wired yet", {
        hint: "run `tether demo ood-bandit` for the offline-RL bandit experiment",
      });
    });
  demo
    .command("ood-bandit")
    .description(
      "Contextual bandit: naive Q runs off the data's support, CQL / TD3+BC / IQL / AWAC stay near it",
    )
    .option("--seed <s>", "seed", parseIntOption("--seed"), 0)
    .option(
      "--backend <name>",
      "tensor backend: tfjs-node-gpu | tfjs-node | wasm | cpu (default: best available)",
    )
    .option("--json", "end stdout with one JSON object keyed by row name, each {return, support_gap}")
    .action(async (opts: { seed: number; backend?: string; json?: boolean }) => {
      const { selectBackend, describeBackend, isBackendName } = await import("../../rl/backend.js");
      if (opts.backend !== undefined && !isBackendName(opts.backend)) {
        throw new TetherError(
          "CLI",
          `--backend must be one of tfjs-node-gpu, tfjs-node, wasm, cpu, got "${opts.backend}"`,
        );
      }
      const backend = await selectBackend(opts.backend);
      process.stderr.write(`${describeBackend(backend)}\n`);
      const { runOodBandit, formatOodBanditTable, OOD_BANDIT_DEFAULTS } =
        await import("../../rl/bandit/ood-bandit.js");
      const cfg = { ...OOD_BANDIT_DEFAULTS, seed: opts.seed };
      const total = 3 * cfg.qSteps + 5 * cfg.actorSteps;
      const progress = startProgress("ood-bandit", total);
      const offsets: Record<string, number> = {
        naive_q: 0,
        cql_q: cfg.qSteps,
        iql_v: 2 * cfg.qSteps,
        naive_actor: 3 * cfg.qSteps,
        cql_actor: 3 * cfg.qSteps + cfg.actorSteps,
        td3bc_actor: 3 * cfg.qSteps + 2 * cfg.actorSteps,
        iql_actor: 3 * cfg.qSteps + 3 * cfg.actorSteps,
        awac_actor: 3 * cfg.qSteps + 4 * cfg.actorSteps,
      };
      const started = Date.now();
      const result = runOodBandit(cfg, (phase, step) =>
        progress.update((offsets[phase] ?? 0) + step, { phase }),
      );
      progress.stop();
      process.stderr.write(
        `ood-bandit: ${((Date.now() - started) / 1000).toFixed(1)} s on ${backend.name}\n`,
      );
      if (opts.json) return printJsonLine(result);
      process.stdout.write(formatOodBanditTable(result) + "\n");
    });
}
