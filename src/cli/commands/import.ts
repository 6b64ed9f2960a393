import type { Command } from "commander";
import { printJsonLine } from "../run.js";

/** `tether import <bag> --robot <name> --map <mapping.yaml> --out <dataset>`: a rosbag2 bag, run log or ROS 1 bag -> dataset. */
export function registerImport(program: Command): void {
  program
    .command("import <bag>")
    .description(
      "Import a rosbag2 bag (MCAP or sqlite3), an MCAP run log or a ROS 1 .bag into a dataset, scored by the robot's spec",
    )
    .requiredOption("--robot <name>", "robot name under robots/ (or a folder holding robot.yaml)")
    .option("--map <mapping.yaml>", "topic/field mapping (default: the robot's ros: section)")
    .requiredOption("--out <dataset>", "new dataset folder")
    .option("--behavior <label>", "behavior label stored with the episodes", "logged")
    .option(
      "--allow-truncated",
      "import the complete records of an MCAP file cut short (recorder killed mid-write)",
    )
    .option("--json", "print the import report as one JSON object")
    .action(
      async (
        bag: string,
        opts: {
          robot: string;
          map?: string;
          out: string;
          behavior: string;
          allowTruncated?: boolean;
          json?: boolean;
        },
      ) => {
        const { importBag } = await import("../../data/import/import-bag.js");
        const { startProgress } = await import("../progress.js");
        let progress: ReturnType<typeof startProgress> | undefined;
        const report = await importBag({
          bag,
          robot: opts.robot,
          map: opts.map,
          out: opts.out,
          behavior: opts.behavior,
          allowTruncated: opts.allowTruncated,
          onProgress: (done, total) => {
            progress ??= startProgress("import", total);
            progress.update(done);
          },
        });
        progress?.stop();
        for (const w of report.warnings) process.stderr.write(`warning: ${w}\n`);
        if (opts.json) {
          printJsonLine(report);
          return;
        }
        process.stdout.write(
          `imported ${report.messages_read} messages from ${bag} -> ${report.out}: ${report.episodes} episodes, ${report.transitions} transitions ` +
            `(${report.terminals} terminal, ${report.time_limits} time limit, ${report.gaps} gaps, ${report.dropped_non_finite} non-finite dropped) ` +
            `in ${report.seconds.toFixed(2)} s (${report.mb_per_s.toFixed(1)} MB/s)\n`,
        );
      },
    );
}
