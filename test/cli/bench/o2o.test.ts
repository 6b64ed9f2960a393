/**
 * `tether bench o2o --json` on a tiny run (real MuJoCo, real ONNX Runtime, 8×8 nets): the readable table, then
 * one JSON object whose cells carry offline_score, online_score (with CIs), regret and estops, the regret
 * being CORL's arithmetic over the runs' own curves; a second run reuses the offline packages.
 */
import { Command } from "commander";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { registerBenchO2o } from "../../../src/cli/bench/o2o.js";

const root = mkdtempSync(join(tmpdir(), "tether-o2o-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// The test reads the JSON field by field, as a consumer of the JSON line would.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function o2o(args: string[]): Promise<{ stdout: string[]; json: Record<string, any> }> {
  const program = new Command("tether").exitOverride();
  registerBenchO2o(program.command("bench"));
  const chunks: string[] = [];
  const out = vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => {
    chunks.push(String(c));
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    await program.parseAsync(["node", "tether", "bench", "o2o", ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const stdout = chunks.join("").trim().split("\n");
  return { stdout, json: JSON.parse(stdout.at(-1) as string) as Record<string, unknown> };
}

const ARGS = [
  "--robots",
  "pendulum",
  "--algos",
  "iql,rebrac",
  "--seeds",
  "2",
  "--dataset-episodes",
  "4",
  "--offline-steps",
  "20",
  "--hidden",
  "8,8",
  "--batch-size",
  "16",
  "--env-steps",
  "40",
  "--eval-every",
  "20",
  "--eval-episodes",
  "2",
  "--data-dir",
  join(root, "logs"),
  "--models-dir",
  join(root, "models"),
  "--json",
];

describe("tether bench o2o --json (tiny run)", () => {
  it("prints the table, then the cells with CORL's regret over each run's evaluations", async () => {
    const { stdout, json } = await o2o([...ARGS, "--out", join(root, "run1")]);
    expect(stdout[0]).toMatch(/^robot\s+algo\s+offline \(95% CI\)\s+online \(95% CI\)/);
    expect(stdout.slice(1, 3).map((l) => l.split(/\s+/).slice(0, 2).join(" "))).toEqual([
      "pendulum iql",
      "pendulum rebrac",
    ]);
    expect(json.benchmark).toBe("o2o");
    expect(json.env_steps).toBe(40);
    expect(json.cells).toHaveLength(2);
    for (const cell of json.cells) {
      const runs = json.runs.filter(
        (r: { robot: string; algo: string }) => r.robot === cell.robot && r.algo === cell.algo,
      );
      expect(runs).toHaveLength(2);
      // Offline score: the step-0 evaluations; online: the last, after the full budget (no e-stop here).
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const curves = runs.map((r: any) => r.curve as { env_step: number; score: number }[]);
      expect(curves.map((c: { env_step: number }[]) => c.map((p) => p.env_step))).toEqual([
        [0, 20, 40],
        [0, 20, 40],
      ]);
      expect(cell.offline_score).toBeCloseTo(mean(curves.map((c: { score: number }[]) => c[0].score)), 9);
      expect(cell.online_score).toBeCloseTo(mean(curves.map((c: { score: number }[]) => c[2].score)), 9);
      const regret = mean(
        curves.map((c: { score: number }[]) => mean([1 - c[1].score / 100, 1 - c[2].score / 100])),
      );
      expect(cell.regret).toBeCloseTo(regret, 9);
      expect(cell.estops).toBe(0);
      expect(cell.offline_ci[0]).toBeLessThanOrEqual(cell.offline_score);
      expect(cell.offline_ci[1]).toBeGreaterThanOrEqual(cell.offline_score);
      expect(cell.online_ci[0]).toBeLessThanOrEqual(cell.online_score);
      expect(cell.online_ci[1]).toBeGreaterThanOrEqual(cell.online_score);
      for (const r of runs) {
        expect(r.reused).toBe(false);
        expect(r.violations).toBe(0);
        expect(r.updates).toBe(20);
      }
    }
  }, 300_000);

  it("reuses the offline packages of an earlier run with the same scale", async () => {
    const { json } = await o2o([...ARGS, "--algos", "iql", "--seeds", "1", "--out", join(root, "run2")]);
    expect(json.runs).toHaveLength(1);
    expect(json.runs[0].reused).toBe(true);
    expect(json.runs[0].package).toContain("o2o-pendulum-medium-4ep-iql-h8x8-20u-b16-s0");
  }, 300_000);

  it("refuses an algorithm outside iql, awac, calql and rebrac", async () => {
    await expect(o2o([...ARGS, "--algos", "iql,td3bc"])).rejects.toThrow(
      /--algos: bench o2o runs iql, awac, calql, rebrac, got "td3bc"/,
    );
  });
});
