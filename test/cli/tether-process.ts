/** Runs the `tether` CLI as a child process from the repository root, as a user would. */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../../src/robot/load.js";

const run = promisify(execFile);
const TSX = join(REPO_ROOT, "node_modules", ".bin", "tsx");

export async function tether(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, [join(REPO_ROOT, "src/cli/main.ts"), ...args], {
      cwd: REPO_ROOT,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
