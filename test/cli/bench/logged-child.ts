/**
 * A child process for the lock tests: its stderr is kept as a log (onLog is called per chunk, so a test can
 * wait for a line), and `done` resolves with its stdout once it exits 0, or rejects with the log.
 */
import { spawn } from "node:child_process";
import { REPO_ROOT } from "../../../src/robot/load.js";

export function loggedChild(command: string, args: string[], onLog: () => void) {
  const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let log = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    log += d;
    onLog();
  });
  const done = new Promise<{ stdout: string; log: string }>((res, rej) => {
    child.on("error", rej);
    child.on("close", (code) =>
      code === 0 ? res({ stdout, log }) : rej(new Error(`${command} exited ${code}: ${log}`)),
    );
  });
  return { done, log: () => log };
}
