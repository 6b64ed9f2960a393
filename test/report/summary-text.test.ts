import { describe, expect, it } from "vitest";
import { formatRunSummaryTable } from "../../src/report/summary-text.js";
import { newRunSummary } from "../../src/report/run-summary.js";
import { syntheticRun } from "./fixture.js";

describe("formatRunSummaryTable", () => {
  it("prints one aligned row per stage with scores, decision and safety events, then paths", () => {
    const run = { ...syntheticRun(), paths: { ...syntheticRun().paths, report: "logs/x/report.html" } };
    const lines = formatRunSummaryTable(run).split("\n");
    const header = lines.findIndex((l) => l.startsWith("stage"));
    expect(header).toBe(1);
    const rows = lines.slice(header + 1, header + 1 + run.stages.length);
    expect(rows.map((r) => r.split(/\s{2,}/)[0])).toEqual(run.stages.map((s) => s.stage));
    // Columns line up: every row's decision starts where the header's does.
    const col = lines[header].indexOf("decision");
    for (const r of rows) expect(r.slice(col).split(/\s+/)[0]).toMatch(/^(promote|hold|rollback)$/);
    expect(rows[4].split(/\s{2,}/)).toEqual([
      "canary",
      "v1",
      "rollback",
      "61.0 [52.0, 70.0]",
      "48.2 [44.9, 51.3]",
      "50.1 [46.0, 54.2]",
      "2",
    ]);
    expect(lines).toContain("safety events: 4 (2 warn, 1 error, 1 estop)");
    expect(lines).toContain("  by stage: sim-finetune: 2 warn; canary: 1 error, 1 estop");
    expect(lines).toContain("model:  models/iql-reacher2");
    expect(lines).toContain("report: logs/x/report.html");
    expect(lines[0]).toBe("run iql-reacher2-s0-1a2b3c4d · robot reacher2 · wall time 6 min 53 s");
  });

  it("says so when nothing ran yet", () => {
    const text = formatRunSummaryTable(newRunSummary({ run_id: "r", robot: "arm", model: "models/m" }));
    expect(text).toContain("no stage ran");
    expect(text).toContain("safety events: 0");
    expect(text).toContain("No stage decisions yet.");
  });
});
