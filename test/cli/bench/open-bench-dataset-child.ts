/**
 * One bench's dataset step in its own process, for the dataset-lock test: opens (collecting if missing) the
 * tiny pendulum dataset in argv[2] and prints what it opened as one JSON line; its log goes to stderr.
 */
import { openBenchDataset } from "../../../src/cli/bench/quality-scale.js";

const ds = await openBenchDataset({
  dataDir: process.argv[2],
  robot: "pendulum",
  robotName: "pendulum",
  level: "medium",
  episodes: 3,
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(
  JSON.stringify({
    dir: ds.dir,
    status: ds.manifest.status,
    episodes: ds.manifest.counts.episodes,
    contentHash: ds.manifest.contentHash,
    recovered: ds.recovered,
  }) + "\n",
);
