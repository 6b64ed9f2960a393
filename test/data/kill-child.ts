import { spawn } from "node:child_process";

/** What a child process last reported as durable ("durable <episodes> [<steps>]" lines on stdout). */
export interface Durable {
  episodes: number;
  steps: number;
}

/**
 * Runs a TypeScript child process until its last "durable" report satisfies `enough`, then SIGKILLs it
 * (mid-write: it never stops writing). Resolves with the last report it printed before the kill.
 */
export function runAndKill(
  script: string,
  args: string[],
  enough: (d: Durable) => boolean,
): Promise<Durable> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let durable: Durable = { episodes: 0, steps: 0 };
    let out = "";
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const lines = out.split("\n");
      out = lines.pop() ?? "";
      for (const l of lines) {
        const m = /^durable (\d+)(?: (\d+))?$/.exec(l);
        if (m) durable = { episodes: Number(m[1]), steps: Number(m[2] ?? 0) };
      }
      if (enough(durable) && !child.killed) child.kill("SIGKILL");
    });
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(durable);
      else reject(new Error(`child exited with ${code}: ${err}`));
    });
  });
}
