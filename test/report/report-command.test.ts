import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { registerReport } from "../../src/cli/commands/report.js";
import { runCli } from "../../src/cli/run.js";
import { writeRunReport } from "../../src/report/run-report.js";
import { syntheticRun } from "./fixture.js";

function program(): Command {
  const p = new Command("tether").exitOverride();
  registerReport(p);
  return p;
}

describe("tether report <run-dir>", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it("rebuilds report.html from run-summary.json and prints one JSON line with --json", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "tether-report-cli-")), "run");
    const { report, summary } = await writeRunReport(dir, syntheticRun(3));
    const original = readFileSync(report, "utf8");
    rmSync(report);
    const out: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    await runCli(program(), ["node", "tether", "report", dir, "--json"]);
    expect(existsSync(report)).toBe(true);
    expect(readFileSync(report, "utf8")).toBe(original);
    expect(JSON.parse(out.join("").trim().split("\n").at(-1) ?? "")).toEqual({ report, summary });
  });

  it("rejects a folder without run-summary.json with a clear message and exit code 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tether-report-cli-empty-"));
    const err: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      err.push(String(chunk));
      return true;
    });
    await runCli(program(), ["node", "tether", "report", dir]);
    expect(process.exitCode).toBe(2);
    expect(err.join("")).toContain(`${join(dir, "run-summary.json")}: (file): run summary not found`);
    expect(existsSync(join(dir, "report.html"))).toBe(false);
  });
});
