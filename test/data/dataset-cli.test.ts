import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it, vi } from "vitest";
import { registerDataset } from "../../src/cli/commands/dataset.js";
import { runCli } from "../../src/cli/run.js";
import { Rng } from "../../src/core/rng.js";
import { DatasetWriter } from "../../src/data/dataset-writer.js";
import { LAYOUT, longEpisodeStep, randomEpisode, tempDir } from "./helpers.js";

/** Runs `tether <args>` in-process (the same commander program main.ts builds), capturing output. */
async function tether(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const program = new Command("tether");
  registerDataset(program);
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += String(s)), true));
  try {
    await runCli(program, ["node", "tether", ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { stdout, stderr, code };
}

async function dataset(): Promise<{ dir: string; returns: number[] }> {
  const dir = join(tempDir(), "ds");
  const w = await DatasetWriter.create(dir, { ...LAYOUT, referenceReturns: { random: -20, expert: 0 } });
  const rng = new Rng(9);
  const returns: number[] = [];
  for (let i = 0; i < 4; i++) {
    const e = randomEpisode(rng, 6);
    returns.push(e.rewards.reduce((a, b) => a + b, 0));
    w.appendEpisode({ ...e, behavior: i < 2 ? "random" : "expert" });
  }
  await w.close();
  return { dir, returns };
}

describe("tether dataset (CLI smoke)", () => {
  it("info --json --plot prints counts, returns, normalized score and action coverage, and writes the SVG", async () => {
    const { dir, returns } = await dataset();
    const svg = join(dir, "..", "plot.svg");
    const r = await tether(["dataset", "info", dir, "--json", "--plot", svg]);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(info.episodes).toBe(4);
    expect(info.transitions).toBe(24);
    const mean = returns.reduce((a, b) => a + b, 0) / 4;
    expect(info.returns.mean).toBeCloseTo(mean, 4);
    expect(info.normalized_score.mean).toBeCloseTo((100 * (mean + 20)) / 20, 3);
    expect(Object.keys(info.behaviors).sort()).toEqual(["expert", "random"]);
    expect(info.actions.map((a: { name: string }) => a.name)).toEqual(["fx", "fy"]);
    expect(info.terminals + info.timeouts).toBe(4);
    expect(readFileSync(svg, "utf8")).toMatch(/^<svg[\s\S]*episode returns[\s\S]*<\/svg>$/);
  });

  it("repair finalizes a dataset whose manifest is still open", async () => {
    const { dir } = await dataset();
    const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    writeFileSync(join(dir, "manifest.json"), JSON.stringify({ ...m, status: "open", contentHash: "" }));
    const r = await tether(["dataset", "repair", dir, "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(out).toMatchObject({
      repaired: true,
      episodes: 4,
      transitions: 24,
      truncated_episodes: 0,
      dropped_bytes: 0,
    });
    expect(out.content_hash).toBe(m.contentHash);
  });

  it("repair reports an episode its writer never ended (flushed, then the process died)", async () => {
    const dir = join(tempDir(), "crashed");
    const w = await DatasetWriter.create(dir, LAYOUT);
    w.appendEpisode(randomEpisode(new Rng(3), 5));
    for (let t = 0; t < 21; t++) w.appendStep(longEpisodeStep(t));
    w.flush(); // the writer is never closed: as after a kill -9, the manifest stays open
    const r = await tether(["dataset", "repair", dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/finalized 2 episodes \(1 truncated mid-episode\), 25 transitions/);
  });

  it("rejects a missing dataset and an unknown plot format with exit code 2", async () => {
    const { dir } = await dataset();
    const missing = await tether(["dataset", "info", join(dir, "nope")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope: dataset folder does not exist/);
    const bad = await tether(["dataset", "info", dir, "--plot", join(dir, "..", "x.gif")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/must end in \.svg or \.png/);
    expect(existsSync(join(dir, "..", "x.gif"))).toBe(false);
  });
});
