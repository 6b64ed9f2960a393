import type { Command } from "commander";
import { registerBenchSim } from "../bench/sim.js";

/** `tether bench <what>`: each benchmark prints progress on stderr and one JSON object as its last stdout line. */
export function registerBench(program: Command): void {
  const bench = program.command("bench").description("Run a benchmark; --json ends stdout with one JSON object");
  for (const register of [registerBenchSim]) register(bench);
}
