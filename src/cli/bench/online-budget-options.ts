/**
 * The online budget of the benches that fine-tune (`bench finetune`, `bench o2o`): env steps, updates per
 * step, the offline share of each batch, the evaluation cadence and the exploration noise. One table of flags
 * and parsers, so both benches read these flags alike; each keeps its own help text, defaults and order.
 */
import type { Command } from "commander";
import { parseFloatOption, parseIntOption } from "../run.js";

export type OnlineBudgetOption =
  "envSteps" | "evalEvery" | "evalEpisodes" | "ratio" | "updatesPerStep" | "explorationStd";

const FLAGS: Record<OnlineBudgetOption, { flags: string; parse: (value: string) => number }> = {
  envSteps: { flags: "--env-steps <n>", parse: parseIntOption("--env-steps") },
  evalEvery: { flags: "--eval-every <n>", parse: parseIntOption("--eval-every") },
  evalEpisodes: { flags: "--eval-episodes <n>", parse: parseIntOption("--eval-episodes") },
  ratio: { flags: "--ratio <f>", parse: parseFloatOption("--ratio") },
  updatesPerStep: { flags: "--updates-per-step <f>", parse: parseFloatOption("--updates-per-step") },
  explorationStd: { flags: "--exploration-std <f>", parse: parseFloatOption("--exploration-std") },
};

/**
 * Declares every online-budget option on `cmd`, in the order `options` lists them (that is their order in
 * --help); an option without `default` is left undefined when not given.
 */
export function addOnlineBudgetOptions(
  cmd: Command,
  options: Record<OnlineBudgetOption, { help: string; default?: number }>,
): Command {
  for (const [key, { help, default: value }] of Object.entries(options) as [
    OnlineBudgetOption,
    { help: string; default?: number },
  ][]) {
    const { flags, parse } = FLAGS[key];
    if (value === undefined) cmd.option(flags, help, parse);
    else cmd.option(flags, help, parse, value);
  }
  return cmd;
}
