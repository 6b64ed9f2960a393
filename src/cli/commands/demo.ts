/**
 * `tether demo ood-bandit`: the seed chapter's contextual bandit (naive Q vs CQL vs TD3+BC, plus IQL, AWAC,
 * Cal-QL and ReBRAC). The bare `tether demo` runs the end-to-end demo (src/deploy/demo/run-demo.ts).
 */
import type { Command } from "commander";
import { parseIntOption, printJsonLine } from "../run.js";
import { startProgress } from "../progress.js";

export function registerDemo(program: Command): void {
  const demo = program
    .command("demo")
    .description(
      "Demonstrations: `demo ood-bandit` (the offline-RL chapter's experiment); bare `demo` runs the end-to-end demo",
    )
    .option("--robot <name>", "robot under robots/", "reacher2")
    .option("--quick", "small budgets (about 2 minutes)")
    .option("--out <dir>", "run folder (default logs/<run>)")
    .option("--resume <run-dir>", "continue an interrupted run, skipping its completed steps")
    // No --seed / --json here: commander would take them from `demo ood-bandit --seed/--json` (parent options
    // are recognized after the subcommand too).
    .option("--gates <file>", "stage gates YAML (default: the demo's gates)")
    .action(
      async (opts: { robot: string; quick?: boolean; out?: string; resume?: string; gates?: string }) => {
        const { runDemo } = await import("../../deploy/demo/run-demo.js");
        const { DEMO_PRESETS } = await import("../../deploy/demo/presets.js");
        const { loadGates } = await import("../../deploy/gates.js");
        const started = Date.now();
        let runDir: string | undefined;
        // Ctrl-C: every finished step is already on disk (run-state.json, written atomically); say how to resume.
        process.once("SIGINT", () => {
          process.stderr.write(
            `\ninterrupted${runDir ? `: resume with \`tether demo --resume ${runDir}\`` : ""}\n`,
          );
          process.exit(130);
        });
        const result = await runDemo({
          onRunDir: (dir) => (runDir = dir),
          robot: opts.robot,
          budget: opts.resume ? undefined : opts.quick ? DEMO_PRESETS.quick : DEMO_PRESETS.default,
          out: opts.out,
          resume: opts.resume,
          gates: opts.gates ? loadGates(opts.gates) : undefined,
          log: (line) => process.stderr.write(line + "\n"),
          progress: startProgress,
        });
        const wall = (Date.now() - started) / 1000;
        process.stderr.write(`demo: ${wall.toFixed(1)} s; run folder ${result.runDir}\n`);
        process.stdout.write(result.table + "\n");
      },
    );
  demo
    .command("ood-bandit")
    .description(
      "Contextual bandit: naive Q runs off the data's support, CQL / TD3+BC / IQL / AWAC / Cal-QL / ReBRAC stay near it",
    )
    .option("--seed <s>", "seed", parseIntOption("--seed"), 0)
    .option("--device <name>", "engine device: cpu | cuda (default: cuda when its provider loads, else cpu)")
    .option("--threads <n>", "engine threads (default: all cores)", parseIntOption("--threads"))
    .option("--json", "end stdout with one JSON object keyed by row name, each {return, support_gap}")
    .action(async (opts: { seed: number; device?: string; threads?: number; json?: boolean }) => {
      const { setupEngine } = await import("../device-option.js");
      const engine = await setupEngine(opts);
      process.stderr.write(`ood-bandit: ${engine}\n`);
      const { runOodBandit, formatOodBanditTable, oodBanditPhases, OOD_BANDIT_DEFAULTS } =
        await import("../../rl/bandit/ood-bandit.js");
      const cfg = { ...OOD_BANDIT_DEFAULTS, seed: opts.seed };
      // Each phase's first step on the one progress bar over all of them.
      const offsets: Record<string, number> = {};
      let total = 0;
      for (const [phase, steps] of oodBanditPhases(cfg)) {
        offsets[phase] = total;
        total += steps;
      }
      const progress = startProgress("ood-bandit", total);
      const started = Date.now();
      const result = runOodBandit(cfg, (phase, step) =>
        progress.update((offsets[phase] ?? 0) + step, { phase }),
      );
      progress.stop();
      process.stderr.write(`ood-bandit: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      if (opts.json) return printJsonLine(result);
      process.stdout.write(formatOodBanditTable(result) + "\n");
    });
}
