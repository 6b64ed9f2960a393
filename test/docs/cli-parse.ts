/**
 * Parses a `tether` argv in-process against the real command definitions (src/cli/commands/*.ts), with
 * every action replaced by a no-op: unknown commands and options, missing arguments, bad choices and the
 * commands' own value parsers fail exactly as on the command line, and nothing runs.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Command, CommanderError } from "commander";
import { REPO_ROOT } from "../../src/robot/load.js";

type Register = (program: Command) => void;

let registers: Register[] | undefined;

/** Every `register*` export of src/cli/commands/, the functions main.ts calls to build `tether`. */
async function loadRegisters(): Promise<Register[]> {
  if (registers) return registers;
  const dir = join(REPO_ROOT, "src/cli/commands");
  const found: Register[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .sort()) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod))
      if (name.startsWith("register") && typeof value === "function") found.push(value as Register);
  }
  registers = found;
  return found;
}

/** A fresh `tether` program (commander keeps parse state per instance). */
export async function buildProgram(): Promise<Command> {
  const program = new Command("tether");
  for (const register of await loadRegisters()) register(program);
  return program;
}

export interface ParseResult {
  /** "bench quality": the command whose action would have run, or undefined when parsing failed. */
  command?: string;
  /** Commander's message when parsing failed (or help was shown). */
  error?: string;
  /** What commander printed (help text). */
  output: string;
}

export async function parseTether(args: string[]): Promise<ParseResult> {
  const program = await buildProgram();
  let reached: Command | undefined;
  let output = "";
  const prepare = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: (s) => (output += s), writeErr: (s) => (output += s) });
    // Only commands that have an action get a no-op one: giving a bare parent (`tether bench`) an action
    // would make it accept what the real CLI rejects. commander keeps no public getter for this.
    if ((cmd as unknown as { _actionHandler: unknown })._actionHandler)
      cmd.action(() => void (reached = cmd));
    cmd.commands.forEach(prepare);
  };
  prepare(program);
  try {
    await program.parseAsync(["node", "tether", ...args]);
  } catch (err) {
    if (err instanceof CommanderError) return { error: err.message, output };
    return { error: (err as Error).message, output };
  }
  return { command: reached && commandPath(reached), output };
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}
