import type { Command } from "commander";
import { printJsonLine } from "../run.js";

/** `tether report <run-dir> [--json]`: rebuild logs/<run>/report.html from its run-summary.json. */
export function registerReport(program: Command): void {
  program
    .command("report <run-dir>")
    .description("Rebuild <run-dir>/report.html (one self-contained page) from <run-dir>/run-summary.json")
    .option("--json", "print one JSON object {report, summary}")
    .action(async (runDir: string, opts: { json?: boolean }) => {
      const { rebuildRunReport, SUMMARY_FILE } = await import("../../report/run-report.js");
      const { join } = await import("node:path");
      const report = await rebuildRunReport(runDir);
      if (opts.json) printJsonLine({ report, summary: join(runDir, SUMMARY_FILE) });
      else process.stdout.write(`report written: ${report}\n`);
    });
}
