import type { Command } from "commander";
import { registerBenchSim } from "../bench/sim.js";
import { registerBenchBus } from "../bench/bus.js";
import { registerBenchData } from "../bench/data.js";
import { registerBenchLoop } from "../bench/loop.js";
import { registerBenchFaults } from "../bench/faults.js";
import { registerBenchO2o } from "../bench/o2o.js";
import { registerBenchQuality } from "../bench/quality.js";
import { registerBenchTrain } from "../bench/train.js";
import { registerBenchFinetune } from "../bench/finetune.js";

/** `tether bench <what>`: each benchmark prints progress on stderr and one JSON object as its last stdout line. */
export function registerBench(program: Command): void {
  const bench = program
    .command("bench")
    .description("Run a benchmark; --json ends stdout with one JSON object");
  for (const register of [
    registerBenchData,
    registerBenchSim,
    registerBenchLoop,
    registerBenchFaults,
    registerBenchQuality,
    registerBenchBus,
    registerBenchTrain,
    registerBenchFinetune,
    registerBenchO2o,
  ])
    register(bench);
}
