/** `tether bench train`: every learner's updates/s at the reference shape, IQL on 1 and N engine threads. */
import type { Command } from "commander";
import { parseHiddenOption, parseIntOption, printJsonLine } from "../run.js";

export function registerBenchTrain(bench: Command): void {
  bench
    .command("train")
    .description(
      "updates/s of IQL (1 and N threads), AWAC, TD3+BC, BC, CQL at obs 17, act 6, 2x256 hidden, batch 256",
    )
    .option("--device <name>", "engine device: cpu | cuda (default: cpu)")
    .option("--threads <n>", "engine threads (default: all cores)", parseIntOption("--threads"))
    .option("--updates <n>", "timed updates", parseIntOption("--updates"), 60)
    .option("--batch-size <n>", "mini-batch size", parseIntOption("--batch-size"), 256)
    .option("--hidden <widths>", "hidden layer widths, e.g. 64,64", parseHiddenOption, [256, 256])
    .option("--cql-updates <n>", "timed CQL updates", parseIntOption("--cql-updates"), 20)
    .option("--json", "end stdout with one JSON object")
    .action(
      async (opts: {
        updates: number;
        batchSize: number;
        hidden: number[];
        cqlUpdates: number;
        device?: string;
        threads?: number;
        json?: boolean;
      }) => {
        const { benchTrain } = await import("../../rl/bench-train.js");
        const { resolveDevice } = await import("../../tensor/session.js");
        const { parseDevice } = await import("../device-option.js");
        const { availableParallelism } = await import("node:os");
        const engine = resolveDevice(
          { device: parseDevice(opts.device ?? "cpu"), threads: opts.threads },
          availableParallelism(),
        );
        process.stderr.write(`bench train: ${engine.description}\n`);
        const r = await benchTrain({
          updates: opts.updates,
          batchSize: opts.batchSize,
          hidden: opts.hidden,
          cqlUpdates: opts.cqlUpdates,
          threads: engine.threads,
          device: engine.device,
          onProgress: (stage) => process.stderr.write(`bench train: ${stage}\n`),
        });
        process.stdout.write(
          `IQL on ${r.backend}, ${r.threads} thread(s): ${r.iql_updates_per_s} updates/s wall (${r.ms_per_update.total} ms), ` +
            `${r.iql_updates_per_cpu_s} per CPU-second; single thread ${r.iql_updates_per_s_single_thread} updates/s (speedup ${r.speedup}); ` +
            `AWAC ${r.awac_updates_per_s} (${r.engines.awac}), TD3+BC ${r.td3bc_updates_per_s} (${r.engines.td3bc}), ` +
            `BC ${r.bc_updates_per_s} (${r.engines.bc}), CQL ${r.cql_updates_per_s} updates/s (${r.engines.cql}); load average ${r.load_average}\n`,
        );
        if (opts.json) printJsonLine(r);
      },
    );
}
