import type { Command } from "commander";
import { TetherError } from "../core/errors.js";

/** Parses argv and turns our typed errors into a clear message and exit code 2 (1 is left for crashes). */
export async function runCli(program: Command, argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof TetherError) {
      process.stderr.write(`tether: error: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}

/** Benchmarks and `--json` commands end with exactly one JSON object on the last stdout line. */
export function printJsonLine(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + "\n");
}

export function parseIntOption(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new TetherError("CLI", `${flag} expects an integer, got "${value}"`);
    return n;
  };
}

/** `--hidden 256,256` → [256, 256]; every width a positive integer. */
export function parseHiddenOption(value: string): number[] {
  const widths = value.split(",").map((x) => Number(x.trim()));
  if (widths.length === 0 || widths.some((w) => !Number.isInteger(w) || w < 1))
    throw new TetherError("CLI", `--hidden expects comma-separated positive integers, got "${value}"`);
  return widths;
}

export function parseFloatOption(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new TetherError("CLI", `${flag} expects a number, got "${value}"`);
    return n;
  };
}

/** `--plot <file>` must name an .svg or .png file; checked before any long work, so a typo costs nothing. */
export function checkPlotFile(file: string): void {
  if (!/\.(svg|png)$/i.test(file)) {
    throw new TetherError("CLI", `--plot ${file}: the file must end in .svg or .png`);
  }
}
