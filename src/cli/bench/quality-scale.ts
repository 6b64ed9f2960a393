/**
 * The scale of one robot's cells in `tether bench quality`: dataset size, network widths and updates, from the
 * robot's `benchmark` section unless a flag sets them for every robot; and the dataset folder of that scale.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../core/errors.js";
import { openDataset, type OpenDataset } from "../../data/dataset-reader.js";
import { readManifest, type Manifest } from "../../data/manifest.js";
import type { RobotSpec } from "../../robot/spec.js";
import { withPidLock } from "./pid-lock.js";

export interface QualityScale {
  dataset_episodes: number;
  hidden: number[];
  steps: number;
}

/** Flags given on the command line; an absent one leaves the robot's own value. */
export type QualityScaleFlags = Partial<QualityScale>;

export function qualityScale(spec: RobotSpec, flags: QualityScaleFlags): QualityScale {
  return {
    dataset_episodes: flags.dataset_episodes ?? spec.benchmark.dataset_episodes,
    hidden: flags.hidden ?? spec.benchmark.hidden,
    steps: flags.steps ?? spec.benchmark.steps,
  };
}

/** One folder per robot, level and size, so a 100-episode dataset is never read where 1000 are wanted. */
export function qualityDatasetDir(dataDir: string, robot: string, level: string, episodes: number): string {
  return join(dataDir, `${robot}-${level}-${episodes}ep`);
}

/** Fails when the dataset found in a quality folder is not the one bench quality would have collected there. */
export function checkQualityDataset(
  manifest: Pick<Manifest, "robot" | "behavior" | "counts">,
  manifestFile: string,
  want: { robot: string; level: string; episodes: number },
): void {
  const hint = "delete the folder to have bench quality collect it again, or pass another --data-dir";
  const checks: [string, string | number, string | number][] = [
    ["robot", want.robot, manifest.robot],
    ["behavior", want.level, manifest.behavior],
    ["counts.episodes", want.episodes, manifest.counts.episodes],
  ];
  for (const [field, expected, actual] of checks) {
    if (expected !== actual) {
      throw new ConfigError(manifestFile, field, "not the dataset bench quality wants here", {
        expected: String(expected),
        actual: String(actual),
        hint,
      });
    }
  }
}

/**
 * The dataset of one robot, level and size that the benches share: collected (seed 0) into its folder when
 * missing, under a pid lock so that concurrent benches collect it once, then checked to be that dataset.
 * A dataset left open by a collector that died is opened through crash recovery and checked like any other.
 * `robot` is what `collect` takes (a name or a folder).
 */
export async function openBenchDataset(options: {
  dataDir: string;
  robot: string;
  robotName: string;
  level: string;
  episodes: number;
  log: (line: string) => void;
  /** Called instead of collecting when the dataset is missing (e.g. to refuse); may throw. */
  onMissing?: (dir: string) => void;
}): Promise<OpenDataset> {
  const { collectDataset } = await import("../commands/collect.js");
  const dir = qualityDatasetDir(options.dataDir, options.robotName, options.level, options.episodes);
  const manifestFile = join(dir, "manifest.json");
  if (readManifest(dir)?.status !== "complete") {
    // Two benches may both find the dataset missing: one collects, the other waits and opens its result.
    // The lock sits beside the folder, which the dataset writer wants new or empty.
    await withPidLock(`${dir}.pid`, `collecting ${dir}`, options.log, async () => {
      if (existsSync(manifestFile)) return;
      options.onMissing?.(dir);
      options.log(`collecting ${dir} (${options.episodes} episodes)`);
      await collectDataset({
        robot: options.robot,
        level: options.level as Parameters<typeof collectDataset>[0]["level"],
        episodes: options.episodes,
        out: dir,
        seed: 0,
      });
    });
  }
  const ds = openDataset(dir);
  checkQualityDataset(ds.manifest, manifestFile, {
    robot: options.robotName,
    level: options.level,
    episodes: options.episodes,
  });
  return ds;
}
