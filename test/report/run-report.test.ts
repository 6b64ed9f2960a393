import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError, DatasetFormatError } from "../../src/core/errors.js";
import { formatNumber } from "../../src/report/format.js";
import { buildRunReport, rebuildRunReport, writeRunReport } from "../../src/report/run-report.js";
import { outcome } from "../../src/report/summary-rows.js";
import { readRunSummary } from "../../src/report/run-summary-file.js";
import { RUN_SUMMARY_FORMAT, type RunSummary } from "../../src/report/run-summary.js";
import { NASTY, syntheticRun } from "./fixture.js";

const CHART_IDS = [
  "offline-loss",
  "offline-score",
  "finetune",
  "stage-scores",
  "support-gap",
  "safety-timeline",
];
const SECTION_IDS = [
  "summary",
  "learning-curves",
  "stage-scores",
  "support-gap",
  "safety-events",
  "stage-decisions",
];

/** The inline SVG of one chart figure. */
function chartSvg(html: string, id: string): string {
  const m = new RegExp(`<figure class="chart" data-chart="${id}">(<svg[\\s\\S]*?</svg>)<figcaption>`).exec(
    html,
  );
  if (m === null) throw new Error(`chart ${id} not found in page`);
  return m[1];
}

/** aria-labels of the data marks (role-mark groups) of one mark type in an SVG. */
function markLabels(svg: string, markType: string): string[] {
  const labels: string[] = [];
  const groups = svg.matchAll(
    new RegExp(`<g class="mark-${markType} role-mark[^"]*"[^>]*>([\\s\\S]*?)</g>`, "g"),
  );
  for (const g of groups) for (const a of g[1].matchAll(/aria-label="([^"]*)"/g)) labels.push(a[1]);
  return labels;
}

describe("buildRunReport", () => {
  const run = syntheticRun();
  let html = "";
  beforeAll(async () => {
    html = await buildRunReport(run);
  });

  it("is one self-contained page: no scripts, no external resources", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?https?:/i);
    expect(html).toContain("default-src 'none'");
  });

  it("has every section and every chart as inline SVG", () => {
    for (const id of SECTION_IDS) expect(html).toContain(`<section id="${id}">`);
    for (const id of CHART_IDS) expect(chartSvg(html, id)).toMatch(/^<svg [^>]*width="\d+" height="\d+"/);
    expect(html).not.toContain("data-empty-chart");
  });

  it("draws the data it was given", () => {
    // One line per loss series (3 IQL losses + 1 BC loss).
    const lossSeries = run.offline.filter((s) => !s.metric.startsWith("eval/"));
    const lossLines = markLabels(chartSvg(html, "offline-loss"), "line");
    expect(lossLines).toHaveLength(lossSeries.length);
    // Vega labels each line with its first point: those are the series' first values.
    const firstValues = lossLines.map((l) => Number(/loss: (-?[\d.e-]+)/.exec(l)?.[1]).toFixed(4)).sort();
    expect(firstValues).toEqual(lossSeries.map((s) => s.points[0].value.toFixed(4)).sort());
    expect(chartSvg(html, "offline-loss")).toContain("loss/critic");
    // Every offline eval point is a symbol; both learners are in the legend.
    const evalPoints = run.offline
      .filter((s) => s.metric.startsWith("eval/"))
      .reduce((n, s) => n + s.points.length, 0);
    expect(markLabels(chartSvg(html, "offline-score"), "symbol")).toHaveLength(evalPoints);
    expect(markLabels(chartSvg(html, "finetune"), "symbol")).toHaveLength(run.finetune[0].points.length);
    expect(chartSvg(html, "finetune")).toContain("behavior 48.2");
    // Stage scores: policy, behavior and BC per stage that measured them, means as given.
    const stagePoints = markLabels(chartSvg(html, "stage-scores"), "symbol");
    expect(stagePoints).toHaveLength(3 * 3);
    expect(
      stagePoints.some((l) => l.includes("sim-finetune") && l.includes("policy") && l.includes("77.9")),
    ).toBe(true);
    // Support gap: the histogram's bars count every sample.
    const bars = markLabels(chartSvg(html, "support-gap"), "rect");
    const counted = bars.reduce((n, l) => n + Number(/; states: (\d+);/.exec(l)?.[1] ?? 0), 0);
    expect(counted).toBe(run.support_gap.reduce((n, s) => n + s.values.length, 0));
    // Safety timeline: one symbol per event, at its stamp.
    const events = markLabels(chartSvg(html, "safety-timeline"), "symbol");
    expect(events).toHaveLength(run.safety_events.length);
    expect(events.some((l) => l.includes("90.5") && l.includes("rate_limit"))).toBe(true);
    // ...over shaded stage spans, each labelled.
    const bandLabels = markLabels(chartSvg(html, "safety-timeline"), "text");
    expect(bandLabels.map((l) => /stage: ([\w-]+)/.exec(l)?.[1])).toEqual(run.stages.map((s) => s.stage));
  });

  it("lists each stage's gates exactly as the ledger checks say", () => {
    const blocks = [
      ...html.matchAll(/<div class="stage" data-stage="([^"]+)" data-version="([^"]+)">([\s\S]*?)<\/div>/g),
    ];
    expect(blocks.map((b) => b[1])).toEqual(run.stages.map((s) => s.stage));
    blocks.forEach((block, i) => {
      const rows = [
        ...block[3].matchAll(
          /<tr><td>(.*?)<\/td><td>(.*?)<\/td><td>(.*?)<\/td><td>(.*?)<\/td><td>(.*?)<\/td><\/tr>/g,
        ),
      ];
      const checks = run.stages[i].checks;
      expect(rows.map((r) => r[1])).toEqual(checks.map((c) => c.gate));
      expect(rows.map((r) => r[2])).toEqual(checks.map((c) => formatNumber(c.observed)));
      expect(rows.map((r) => r[3])).toEqual(checks.map((c) => formatNumber(c.threshold)));
      expect(rows.map((r) => r[5].includes("passed"))).toEqual(checks.map((c) => c.passed));
    });
    // The canary e-stopped, so its estops gate failed and it rolled back to v0.
    const canary = blocks.find((b) => b[1] === "canary")?.[3] ?? "";
    expect(canary).toMatch(/<td>estops<\/td><td>1<\/td><td>0<\/td>.*✗ failed/);
    expect(canary).toContain("rolled back to v0");
  });

  it("summarizes scores, safety events and paths", () => {
    const summary = /<section id="summary">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? "";
    expect(summary).toContain("77.9 [74.0, 81.5]");
    expect(summary).toContain("50.1 [46.0, 54.2]");
    expect(summary).toMatch(/Safety events in total: <strong>4<\/strong>/);
    expect(summary).toContain("models/iql-reacher2");
    expect(summary).toContain("canary.mcap");
    expect(html).toContain(
      "Last decision: v1 rolled back at canary — active: v0, promoted through sim-eval.",
    );
  });

  it("lists repeated safety events once per group, with their count", async () => {
    const repeated = { ...run.safety_events[0], stamp: 33.4 };
    const page = await buildRunReport({ ...run, safety_events: [...run.safety_events, repeated, repeated] });
    const rows = [...page.matchAll(/<tr><td>sim-finetune<\/td><td>joint_limits<\/td>(.*?)<\/tr>/g)].map(
      (m) => m[1],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain("<td>3</td>");
    expect(rows[0]).toContain("31.2 – 33.4");
  });

  it("escapes every user string", async () => {
    const nasty: RunSummary = {
      ...run,
      run_id: `run-${NASTY}`,
      robot: NASTY,
      paths: { model: NASTY },
      stages: run.stages.map((s) => ({
        ...s,
        version: `v<i>`,
        checks: s.checks.map((c) => ({ ...c, rule: NASTY })),
      })),
      safety_events: run.safety_events.map((e) => ({ ...e, monitor: NASTY, severity: "<b>" })),
    };
    const page = await buildRunReport(nasty);
    expect(page).not.toContain("<script");
    expect(page).not.toContain("<i>");
    expect(page).not.toContain("<b>");
    expect(page).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;");
  });
});

describe("a run with nothing measured yet", () => {
  it("says so in words instead of drawing empty charts", async () => {
    const empty: RunSummary = {
      format: RUN_SUMMARY_FORMAT,
      run_id: "bc-arm-s0-00000000",
      robot: "arm",
      started: "2026-11-24T00:00:00Z",
      offline: [],
      finetune: [],
      stages: [],
      support_gap: [],
      safety_events: [],
      paths: { model: "models/bc-arm" },
    };
    const page = await buildRunReport(empty);
    expect(page).not.toContain("<svg");
    for (const id of CHART_IDS) expect(page).toContain(`data-empty-chart="${id}"`);
    expect(outcome([])).toBe("No stage decisions yet.");
  });
});

describe("writeRunReport / rebuildRunReport / readRunSummary", () => {
  it("writes report.html and run-summary.json that rebuild the same page", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "tether-report-")), "iql-reacher2-s0-1a2b3c4d");
    const run = syntheticRun(7);
    // A gate whose threshold is NaN (behavior unknown) must survive JSON, which has no NaN.
    run.stages[1].checks[0] = { ...run.stages[1].checks[0], threshold: Number.NaN, passed: false };
    const { report, summary } = await writeRunReport(dir, run);
    const first = readFileSync(report, "utf8");
    const back = readRunSummary(summary);
    expect(back.paths.report).toBe(report);
    expect(back.stages[1].checks[0].threshold).toBeNaN();
    expect(back.offline).toEqual(run.offline);
    expect(back.safety_events).toEqual(run.safety_events);
    expect(await rebuildRunReport(dir)).toBe(report);
    expect(readFileSync(report, "utf8")).toBe(first);
  });

  it("rejects a missing file, bad JSON and a wrong field, naming file and field", () => {
    const dir = mkdtempSync(join(tmpdir(), "tether-report-bad-"));
    const file = join(dir, "run-summary.json");
    expect(() => readRunSummary(file)).toThrow(ConfigError);
    expect(() => readRunSummary(file)).toThrow(/run-summary\.json: \(file\): run summary not found/);
    writeFileSync(file, "{ truncated");
    expect(() => readRunSummary(file)).toThrow(DatasetFormatError);
    const run = syntheticRun() as unknown as { stages: { decision: string }[] };
    run.stages[2].decision = "maybe";
    writeFileSync(file, JSON.stringify(run));
    expect(() => readRunSummary(file)).toThrow(/run-summary\.json: stages\.2\.decision: /);
    writeFileSync(file, JSON.stringify({ ...syntheticRun(), format: 99 }));
    expect(() => readRunSummary(file)).toThrow(
      /format: .*\n {2}hint: this Tether reads run-summary format 1/,
    );
  });
});
