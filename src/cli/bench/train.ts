/** `tether bench train`: IQL and CQL updates/s at the reference shape, per-network time, and the wasm levers. */
import type { Command } from "commander";
import { parseHiddenOption, parseIntOption, printJsonLine } from "../run.js";

export function registerBenchTrain(bench: Command): void {
  bench
    .command("train")
    .description(
      "IQL and CQL updates/s at obs 17, act 6, 2x256 hidden, batch 256; ms per network; backend levers",
    )
    .option("--backend <name>", "force a tensor backend: tfjs-node-gpu | tfjs-node | wasm | cpu")
    .option("--updates <n>", "timed updates", parseIntOption("--updates"), 60)
    .option("--batch-size <n>", "mini-batch size", parseIntOption("--batch-size"), 256)
    .option("--hidden <widths>", "hidden layer widths, e.g. 64,64", parseHiddenOption, [256, 256])
    .option("--cql-updates <n>", "timed CQL updates", parseIntOption("--cql-updates"), 20)
    .option("--no-levers", "skip the per-lever measurements")
    .option(
      "--workers <n>",
      "learner threads for iql_updates_per_s, 1 or 2 (default: the trainer's choice)",
      parseIntOption("--workers"),
    )
    .option("--json", "end stdout with one JSON object")
    .action(
      async (opts: {
        backend?: string;
        updates: number;
        batchSize: number;
        hidden: number[];
        cqlUpdates: number;
        levers: boolean;
        workers?: number;
        json?: boolean;
      }) => {
        const { selectBackend, describeBackend, isBackendName } = await import("../../rl/backend.js");
        const { benchTrain } = await import("../../rl/bench-train.js");
        const { TetherError } = await import("../../core/errors.js");
        if (opts.backend !== undefined && !isBackendName(opts.backend)) {
          throw new TetherError(
            "CLI",
            `--backend must be one of tfjs-node-gpu, tfjs-node, wasm, cpu, got "${opts.backend}"`,
          );
        }
        const backend = await selectBackend(opts.backend);
        process.stderr.write(`bench train: ${describeBackend(backend)}\n`);
        const r = await benchTrain(backend, {
          updates: opts.updates,
          batchSize: opts.batchSize,
          hidden: opts.hidden,
          cqlUpdates: opts.cqlUpdates,
          levers: opts.levers,
          workers: opts.workers,
          onProgress: (stage) => process.stderr.write(`bench train: ${stage}\n`),
        });
        process.stdout.write(
          `IQL on ${r.backend}, ${r.workers} thread(s): ${r.iql_updates_per_s} updates/s wall (${r.ms_per_update.total} ms: v ${r.ms_per_update.v}, actor ${r.ms_per_update.actor}, q ${r.ms_per_update.q}), ` +
            `${r.iql_updates_per_cpu_s} per CPU-second; single thread ${r.iql_updates_per_s_single_thread} updates/s (speedup ${r.speedup}); ` +
            `CQL ${r.cql_updates_per_s} updates/s (${r.cql_ms_per_update} ms); load average ${r.load_average}\n`,
        );
        if (r.levers)
          for (const [k, v] of Object.entries(r.levers)) process.stdout.write(`  ${k.padEnd(32)} ${v}\n`);
        if (opts.json) printJsonLine(r);
      },
    );
}
