import type { Command } from "commander";
import { checkPlotFile, printJsonLine } from "../run.js";

interface InfoOptions {
  json?: boolean;
  plot?: string;
}

/** `tether dataset info|repair`: inspect and finalize datasets (folders of protobuf chunks + manifest.json). */
export function registerDataset(program: Command): void {
  const dataset = program.command("dataset").description("Inspect and repair datasets");

  dataset
    .command("info")
    .description("Counts, return distribution, normalized score, per-dim action coverage; optional plot")
    .argument("<dataset>", "dataset folder")
    .option("--json", "end stdout with one JSON object")
    .option("--plot <file>", "write returns and action histograms to an .svg or .png file")
    .action(async (dir: string, opts: InfoOptions) => {
      if (opts.plot !== undefined) checkPlotFile(opts.plot);
      const { openDataset } = await import("../../data/dataset-reader.js");
      const { summarizeDataset, formatDatasetInfo, datasetChartSpec } =
        await import("../../data/dataset-info.js");
      const ds = openDataset(dir);
      const info = summarizeDataset(
        ds,
        ds.manifest.referenceReturns ?? (await robotReferenceReturns(ds.manifest.robot)),
      );
      if (opts.plot !== undefined) {
        const { writePlot } = await import("../../data/plots.js");
        await writePlot(
          opts.plot,
          datasetChartSpec(info, ds.manifest.episodes.returns, ds.manifest.episodes.behaviors),
        );
        process.stderr.write(`dataset info: wrote ${opts.plot}\n`);
      }
      if (opts.json) printJsonLine({ ...info, actions: info.actions.map(({ histogram: _h, ...a }) => a) });
      else process.stdout.write(formatDatasetInfo(info) + "\n");
    });

  dataset
    .command("repair")
    .description("Finalize the manifest of a dataset whose writer died (chunk files are never modified)")
    .argument("<dataset>", "dataset folder")
    .option("--force", "rebuild the manifest even if it is complete")
    .option("--json", "end stdout with one JSON object")
    .action(async (dir: string, opts: { force?: boolean; json?: boolean }) => {
      const { repairDataset } = await import("../../data/repair.js");
      const r = repairDataset(dir, { force: opts.force });
      const summary = {
        dataset: dir,
        repaired: r.repaired,
        episodes: r.manifest.counts.episodes,
        transitions: r.manifest.counts.transitions,
        truncated_episodes: r.manifest.episodes.truncated?.length ?? 0,
        dropped_bytes: r.droppedBytes,
        content_hash: r.manifest.contentHash,
      };
      if (opts.json) printJsonLine(summary);
      else if (!r.repaired)
        process.stdout.write(
          `${dir}: manifest already complete (${summary.episodes} episodes); nothing to do\n`,
        );
      else
        process.stdout.write(
          `${dir}: finalized ${summary.episodes} episodes (${summary.truncated_episodes} truncated mid-episode), ${summary.transitions} transitions; dropped ${summary.dropped_bytes} tail bytes\n`,
        );
    });
}

async function robotReferenceReturns(robot: string): Promise<{ random: number; expert: number } | undefined> {
  try {
    const { loadRobot } = await import("../../robot/load.js");
    return loadRobot(robot).spec.reference_returns;
  } catch {
    return undefined; // the dataset's robot is not in this checkout: scores are simply not available
  }
}
