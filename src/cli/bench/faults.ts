/**
 * `tether bench faults [--json]`: fault injection on the running loop (synthetic plant, manual clock):
 * NaN policy, frozen sensor, latency spike, out-of-distribution state, policy crash, joint-limit breach.
 * Per fault: reaction time in control periods (0 = the same tick) and the unsafe commands an independent
 * checker found among those published (must be 0). With `--policy-worker`, latency_spike and policy_crash
 * run again on the wall clock with the policy in its own worker thread (`worker_policy`): there the fallback's
 * command goes out while the policy call is still stuck (src/safety/loop/worker-policy-faults.ts).
 */
import type { Command } from "commander";
import { parseIntOption, printJsonLine } from "../run.js";

interface BenchFaultsOptions {
  json?: boolean;
  ticks: number;
  policyWorker?: boolean;
}

export function registerBenchFaults(bench: Command): void {
  bench
    .command("faults")
    .description(
      "Inject faults into the running control loop: reaction time (control periods) and unsafe commands",
    )
    .option("--json", "end stdout with one JSON object")
    .option("--ticks <n>", "ticks per scenario (the fault starts halfway)", parseIntOption("--ticks"), 400)
    .option(
      "--policy-worker",
      "also run latency_spike and policy_crash with the policy in a worker (wall clock)",
    )
    .action(async (opts: BenchFaultsOptions) => {
      const { FAULTS, runFault } = await import("../../safety/loop/faults.js");
      const results = FAULTS.filter((f) => f !== "none").map((f) =>
        runFault(f, { ticks: opts.ticks, injectTick: Math.floor(opts.ticks / 2) }),
      );
      const baseline = runFault("none", { ticks: opts.ticks, injectTick: Math.floor(opts.ticks / 2) });
      const faults = results.map((r) => ({
        fault: r.fault,
        reaction_periods: r.reaction_periods,
        reacted_with: r.reacted_with,
        unsafe_commands: r.unsafe_commands,
        published: r.published,
        estop: r.estop,
        monitors: r.monitors,
      }));
      const summary = {
        control_rate_hz: 500,
        ticks_per_fault: opts.ticks,
        faults,
        unsafe_commands_total: results.reduce((s, r) => s + r.unsafe_commands, 0) + baseline.unsafe_commands,
        all_within_one_period: results.every((r) => r.reaction_periods !== null && r.reaction_periods <= 1),
        false_alarms_without_fault: baseline.ticks_not_policy,
        ...(opts.policyWorker ? { worker_policy: await runWorkerPolicyFaults(opts.ticks) } : {}),
      };
      if (!opts.json) {
        process.stdout.write(
          "fault                 reaction_periods  reacted_with  unsafe_commands  monitors\n",
        );
        for (const f of faults) {
          process.stdout.write(
            `${f.fault.padEnd(22)}${String(f.reaction_periods).padEnd(18)}${String(f.reacted_with).padEnd(14)}${String(f.unsafe_commands).padEnd(17)}${f.monitors.join(",")}\n`,
          );
        }
      }
      if (opts.json) printJsonLine(summary);
      else {
        process.stdout.write(`unsafe_commands_total: ${summary.unsafe_commands_total}\n`);
        for (const w of summary.worker_policy ?? [])
          process.stdout.write(
            `policy in a worker, ${w.fault}: reaction ${w.reaction_periods} periods (${w.reacted_with}), ` +
              `${w.published_while_policy_stuck} commands published while the policy was stuck, ` +
              `tick at injection ${w.command_us_at_injection} µs (period ${w.period_us} µs), ` +
              `unsafe ${w.unsafe_commands}, load ${w.load_avg_1m}\n`,
          );
      }
    });
}

async function runWorkerPolicyFaults(ticks: number) {
  const { WORKER_POLICY_FAULTS, runWorkerPolicyFault } =
    await import("../../safety/loop/worker-policy-faults.js");
  const { loadavg } = await import("node:os");
  const out = [];
  for (const fault of WORKER_POLICY_FAULTS) {
    const load = loadavg()[0];
    const { unsafe_reasons: _reasons, ...r } = await runWorkerPolicyFault(fault, {
      ticks,
      injectTick: Math.floor(ticks / 2),
    });
    out.push({ ...r, load_avg_1m: Math.round(load * 100) / 100 });
  }
  return out;
}
