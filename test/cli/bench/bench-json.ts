/** Runs one `tether bench <name> ...` command in-process and returns the JSON object its last stdout line holds. */
import { Command } from "commander";
import { vi } from "vitest";

// The tests read the bench JSON field by field, as a consumer of the JSON line would.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type BenchJson = Record<string, any>;

export async function benchJson(register: (bench: Command) => void, args: string[]): Promise<BenchJson> {
  const program = new Command("tether").exitOverride();
  register(program.command("bench"));
  const lines: string[] = [];
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    await program.parseAsync(["node", "tether", "bench", ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return JSON.parse(lines.join("").trim().split("\n").pop() as string) as BenchJson;
}
