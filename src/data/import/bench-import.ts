/**
 * `import_mb_per_s` for `tether bench data`: writes a synthetic run log (reacher2, lz4-compressed MCAP,
 * /joint_states + commands + /goal + /clock at 50 Hz) with the run-log writer, then imports it.
 * MB/s counts the bag's bytes on disk (10^6 bytes) over the whole import: open, decode, align, write.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { loadRobot } from "../../robot/load.js";
import { importBag } from "./import-bag.js";
import { writeSyntheticRunLog } from "./synthetic-log.js";

export interface ImportBenchResult {
  import_mb_per_s: number;
  import_msgs_per_s: number;
  import_bag_mb: number;
  import_messages: number;
  import_transitions: number;
  import_seconds: number;
  import_write_mb_per_s: number;
}

export async function benchImportMcap(
  dir: string,
  options: { steps?: number; robot?: string } = {},
): Promise<ImportBenchResult> {
  const robot = loadRobot(options.robot ?? "reacher2");
  const bag = join(dir, "synthetic.mcap");
  const t0 = performance.now();
  await writeSyntheticRunLog(bag, robot.spec, {
    steps: options.steps ?? 40_000,
    seed: 0,
    clock: true,
    episodeLength: robot.spec.control.max_episode_steps,
  });
  const writeSeconds = (performance.now() - t0) / 1000;
  const bytes = statSync(bag).size;
  const report = await importBag({ bag, robot: robot.dir, out: join(dir, "dataset"), flushIntervalMs: 0 });
  return {
    import_mb_per_s: report.mb_per_s,
    import_msgs_per_s: report.messages_read / report.seconds,
    import_bag_mb: bytes / 1e6,
    import_messages: report.messages_read,
    import_transitions: report.transitions,
    import_seconds: report.seconds,
    import_write_mb_per_s: bytes / 1e6 / writeSeconds,
  };
}
