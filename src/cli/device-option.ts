/** `--device` of the commands that train on the engine. */
import { TetherError } from "../core/errors.js";
import type { Device } from "../tensor/session.js";

export function parseDevice(value: string): Device {
  if (value !== "cpu" && value !== "cuda")
    throw new TetherError("CLI", `--device must be cpu or cuda, got "${value}"`);
  return value;
}
