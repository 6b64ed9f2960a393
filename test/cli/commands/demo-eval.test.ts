import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../src/robot/load.js";

const run = promisify(execFile);
const TSX = join(REPO_ROOT, "node_modules", ".bin", "tsx");

async function tether(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
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

describe("tether demo / eval (CLI smoke)", () => {
  it("bare `tether demo` on an unknown robot names the robots (and runs nothing)", async () => {
    const r = await tether("demo", "--robot", "no-such-bot");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown robot "no-such-bot"/);
    expect(r.stderr).toMatch(/pendulum/);
  });

  it("`tether eval` rejects a missing model with the manifest path", async () => {
    const r = await tether("eval", "--model", "/nonexistent/model", "--robot", "pendulum");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /\/nonexistent\/model\/policy\.json: \(file\): policy package manifest not found/,
    );
  });

  it("`tether eval` rejects --episodes 1 (an interval needs 2 samples)", async () => {
    const r = await tether("eval", "--model", "x", "--robot", "pendulum", "--episodes", "1");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--episodes expects at least 2/);
  });
});
