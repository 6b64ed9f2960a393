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

describe("tether deploy (CLI input errors)", () => {
  it("rejects an unknown stage, listing the stages", async () => {
    const r = await tether("deploy", "--model", "x", "--stage", "production");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown stage "production"/);
    expect(r.stderr).toMatch(/offline-eval \| sim-eval \| sim-finetune \| shadow \| canary \| full/);
  }, 60_000);

  it("names the model path when there is no policy package", async () => {
    const r = await tether("deploy", "--model", "/nonexistent/pkg", "--stage", "shadow");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/nonexistent\/pkg/);
    expect(r.stderr).toMatch(/policy\.json/);
  }, 60_000);
});
