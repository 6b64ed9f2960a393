/** `--device` of the commands that train on the engine. */
import { TetherError } from "../core/errors.js";
import type { Device } from "../tensor/session.js";

export function parseDevice(value: string): Device {
  if (value !== "cpu" && value !== "cuda")
    throw new TetherError("CLI", `--device must be cpu or cuda, got "${value}"`);
  return value;
}

/**
 * Resolves `--device` / `--threads` and configures the engine for this process (before any training
 * program is built); the description line to log.
 */
export async function setupEngine(flags: { device?: string; threads?: number }): Promise<string> {
  const { resolveDevice, configureEngine } = await import("../tensor/session.js");
  const { availableParallelism } = await import("node:os");
  const engine = resolveDevice(
    { device: flags.device === undefined ? undefined : parseDevice(flags.device), threads: flags.threads },
    availableParallelism(),
  );
  configureEngine(engine);
  return engine.description;
}
