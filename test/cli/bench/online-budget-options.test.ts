/**
 * `bench finetune` and `bench o2o` declare their online budget through one helper: each keeps its own
 * defaults (o2o leaves --eval-every unset, a fifth of --env-steps), and both parse and reject the same flags.
 */
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerBenchFinetune } from "../../../src/cli/bench/finetune.js";
import { registerBenchO2o } from "../../../src/cli/bench/o2o.js";

/** Parses `tether bench <args>` against the real definitions with the action replaced; returns its options. */
async function parseBench(args: string[]): Promise<Record<string, unknown>> {
  const bench = new Command("bench").exitOverride();
  registerBenchFinetune(bench);
  registerBenchO2o(bench);
  let opts: Record<string, unknown> | undefined;
  for (const cmd of bench.commands)
    cmd
      .exitOverride()
      .configureOutput({ writeErr: () => undefined })
      .action((o: Record<string, unknown>) => void (opts = o));
  await bench.parseAsync(args, { from: "user" });
  if (!opts) throw new Error(`no action reached for ${args.join(" ")}`);
  return opts;
}

const budget = (o: Record<string, unknown>) => ({
  envSteps: o.envSteps,
  evalEvery: o.evalEvery,
  evalEpisodes: o.evalEpisodes,
  ratio: o.ratio,
  updatesPerStep: o.updatesPerStep,
  explorationStd: o.explorationStd,
});

describe("the online-budget options of bench finetune and bench o2o", () => {
  it("keeps each bench's own defaults", async () => {
    expect(budget(await parseBench(["finetune", "--robot", "pendulum"]))).toEqual({
      envSteps: 100_000,
      evalEvery: 10_000,
      evalEpisodes: 20,
      ratio: 0.5,
      updatesPerStep: 0.5,
      explorationStd: 0.1,
    });
    expect(budget(await parseBench(["o2o"]))).toEqual({
      envSteps: 10_000,
      evalEvery: undefined,
      evalEpisodes: 10,
      ratio: 0.5,
      updatesPerStep: 0.5,
      explorationStd: 0.1,
    });
  });

  it.each([["finetune", "--robot", "pendulum"], ["o2o"]])("parses every flag given to %s", async (...cmd) => {
    const given = [
      ...["--env-steps", "300", "--eval-every", "50", "--eval-episodes", "3", "--ratio", "0.25"],
      ...["--updates-per-step", "2.5", "--exploration-std", "0"],
    ];
    expect(budget(await parseBench([...cmd, ...given]))).toEqual({
      envSteps: 300,
      evalEvery: 50,
      evalEpisodes: 3,
      ratio: 0.25,
      updatesPerStep: 2.5,
      explorationStd: 0,
    });
  });

  it.each([
    ["--env-steps", "1e3.5", /--env-steps expects an integer, got "1e3\.5"/],
    ["--eval-every", "ten", /--eval-every expects an integer/],
    ["--eval-episodes", "2.5", /--eval-episodes expects an integer/],
    ["--ratio", "half", /--ratio expects a number, got "half"/],
    ["--updates-per-step", "Infinity", /--updates-per-step expects a number/],
    ["--exploration-std", "x", /--exploration-std expects a number/],
  ])("rejects %s %s in both benches, naming the flag", async (flag, value, message) => {
    for (const cmd of [["finetune", "--robot", "pendulum"], ["o2o"]]) {
      await expect(parseBench([...cmd, flag, value])).rejects.toThrow(message);
    }
  });
});
