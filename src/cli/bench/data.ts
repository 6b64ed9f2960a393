/**
 * `tether bench data [--json]`: dataset throughput.
 *   record_msgs_per_s      JointState messages recorded into a dataset through the embedded runtime
 *                          (record_dropped must be 0)
 *   load_transitions_per_s loadTransitions() into contiguous columns (best of 3)
 *   import_mb_per_s        MCAP import (the rosbag2 importer), or null with import_reason
 *   bytes_per_transition   on disk, for the reacher2 layout (obs 10, act 2) with timestamps
 * `*_per_cpu_s` companions divide by this process's CPU time instead of wall time (shared machines).
 */
import type { Command } from "commander";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseIntOption, printJsonLine } from "../run.js";

interface BenchDataOptions {
  json?: boolean;
  transitions: number;
  messages: number;
  keep?: boolean;
}

export function registerBenchData(bench: Command): void {
  bench
    .command("data")
    .description("Dataset throughput: recording, loading, MCAP import, bytes per transition")
    .option("--json", "end stdout with one JSON object")
    .option(
      "--transitions <n>",
      "transitions in the load benchmark dataset",
      parseIntOption("--transitions"),
      1_000_000,
    )
    .option(
      "--messages <n>",
      "JointState messages in the record benchmark",
      parseIntOption("--messages"),
      100_000,
    )
    .option("--keep", "keep the temporary datasets (their paths are printed)")
    .action(async (opts: BenchDataOptions) => {
      const result = await runBenchData(opts);
      if (opts.json) printJsonLine(result);
      else
        for (const [k, v] of Object.entries(result))
          process.stdout.write(`${k}: ${typeof v === "number" ? +v.toPrecision(4) : v}\n`);
    });
}

export async function runBenchData(opts: BenchDataOptions): Promise<Record<string, unknown>> {
  const root = mkdtempSync(join(tmpdir(), "tether-bench-data-"));
  try {
    const load = await benchLoad(join(root, "load"), opts.transitions);
    const record = await benchRecord(join(root, "record"), opts.messages);
    const imp = await benchImport(join(root, "import"));
    return {
      bench: "data",
      ...record,
      ...load,
      ...imp,
    };
  } finally {
    if (opts.keep) process.stderr.write(`bench data: kept ${root}\n`);
    else rmSync(root, { recursive: true, force: true });
  }
}

async function benchLoad(dir: string, transitions: number): Promise<Record<string, number>> {
  const { DatasetWriter } = await import("../../data/dataset-writer.js");
  const { loadTransitions, openDataset } = await import("../../data/dataset-reader.js");
  const { Rng } = await import("../../core/rng.js");
  const obsDim = 10;
  const actDim = 2;
  const T = 200;
  const episodes = Math.max(1, Math.round(transitions / T));
  const w = await DatasetWriter.create(dir, {
    robot: "bench",
    obsNames: Array.from({ length: obsDim }, (_, i) => `o${i}`),
    actNames: Array.from({ length: actDim }, (_, i) => `a${i}`),
    actionRanges: Array.from({ length: actDim }, () => [-2, 2] as [number, number]),
    source: "bench",
    behavior: "random",
  });
  const rng = new Rng(0);
  const obs = new Float32Array((T + 1) * obsDim);
  const act = new Float32Array(T * actDim);
  const rew = new Float32Array(T);
  const ts = Float64Array.from({ length: T + 1 }, (_, i) => i * 0.02);
  const timeouts = new Uint8Array(T);
  timeouts[T - 1] = 1;
  const writeStart = performance.now();
  for (let e = 0; e < episodes; e++) {
    for (let i = 0; i < obs.length; i++) obs[i] = rng.normal();
    for (let i = 0; i < act.length; i++) act[i] = rng.uniform(-2, 2);
    for (let i = 0; i < rew.length; i++) rew[i] = rng.normal();
    w.appendEpisode({ observations: obs, actions: act, rewards: rew, timeouts, timestamps: ts });
  }
  const manifest = await w.close();
  const writeSeconds = (performance.now() - writeStart) / 1000;
  let best = Infinity;
  let bestCpu = Infinity;
  let size = 0;
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const cols = loadTransitions(openDataset(dir));
    best = Math.min(best, (performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1e6);
    size = cols.size;
  }
  return {
    load_transitions: size,
    load_transitions_per_s: size / best,
    // Per CPU second of this process: on a shared machine the wall-clock figure also measures the neighbours.
    load_transitions_per_cpu_s: size / bestCpu,
    write_transitions_per_s: manifest.counts.transitions / writeSeconds,
    bytes_per_transition: manifest.counts.bytes / manifest.counts.transitions,
  };
}

async function benchRecord(dir: string, messages: number): Promise<Record<string, unknown>> {
  try {
    const specifier = "../../nodes/recorder/bench-recorder.js";
    const { benchRecorder } = (await import(specifier)) as {
      benchRecorder(dir: string, n: number): Promise<Record<string, unknown>>;
    };
    // Best of two runs: the machine is shared, the better run is closer to what the code can do.
    const first = await benchRecorder(`${dir}-1`, messages);
    const second = await benchRecorder(`${dir}-2`, messages);
    return (first.record_msgs_per_s as number) >= (second.record_msgs_per_s as number) ? first : second;
  } catch (err) {
    return {
      record_msgs_per_s: null,
      record_dropped: null,
      record_reason: `recorder bench unavailable: ${(err as Error).message.split("\n")[0]}`,
    };
  }
}

async function benchImport(dir: string): Promise<Record<string, unknown>> {
  try {
    // The importer belongs to the rosbag2 room; resolved at run time so this bench works before it lands.
    const specifier = "../../data/import/bench-import.js";
    const mod = (await import(specifier)) as {
      benchImportMcap(dir: string): Promise<{ import_mb_per_s: number }>;
    };
    return { ...(await mod.benchImportMcap(dir)) };
  } catch (err) {
    return {
      import_mb_per_s: null,
      import_reason: `MCAP importer bench unavailable: ${(err as Error).message.split("\n")[0]}`,
    };
  }
}
