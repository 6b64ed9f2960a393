/**
 * Opens a written report in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
 * and checks what a person would see: every chart drew its marks at a non-zero size, the console stayed
 * clean, and the page asked for nothing beyond its own file. Screenshot: /tmp/tether-report.png.
 * Without /usr/bin/chromium the test fails in CI and is skipped locally (the skip names the reason).
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { writeRunReport } from "../../src/report/run-report.js";
import { syntheticRun } from "./fixture.js";

/** Debian's chromium; TETHER_CHROMIUM points elsewhere (and lets the absent-browser path be checked). */
const CHROMIUM = process.env.TETHER_CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const CHART_IDS = [
  "offline-loss",
  "offline-score",
  "finetune",
  "stage-scores",
  "support-gap",
  "safety-timeline",
];
export const SCREENSHOT = "/tmp/tether-report.png";

const present = existsSync(CHROMIUM);
const missing = `Debian's chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`;
const skipLocally = !present && !process.env.CI;
const runTest = skipLocally ? it.skip : it;
if (skipLocally) console.warn(`report-browser.test.ts: skipped: ${missing}`);
const title = "renders every chart with marks and a clean console in headless Chromium";

describe("report.html in a real browser", () => {
  runTest(skipLocally ? `${title} [skipped: ${missing}]` : title, async () => {
    if (!present) throw new Error(`${missing}; the browser test must run in CI`);
    const dir = join(mkdtempSync(join(tmpdir(), "tether-report-browser-")), "iql-reacher2-s0-1a2b3c4d");
    const { report } = await writeRunReport(dir, syntheticRun());
    const url = pathToFileURL(report).href;

    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(`console.${m.type()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      page.on("request", (r) => requests.push(r.url()));
      page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
      await page.goto(url, { waitUntil: "load" });

      const charts = await page.evaluate(() => {
        // The few DOM types used here (the project compiles without the DOM lib).
        interface Box {
          width: number;
          height: number;
        }
        interface El {
          getAttribute(name: string): string | null;
          querySelector(sel: string): El | null;
          querySelectorAll(sel: string): Iterable<El>;
          getBoundingClientRect(): Box;
          getBBox(): Box;
        }
        const doc = (globalThis as unknown as { document: El }).document;
        return [...doc.querySelectorAll("figure.chart")].map((fig) => {
          const svg = fig.querySelector("svg");
          const box = svg?.getBoundingClientRect();
          const marks = svg ? [...svg.querySelectorAll("g.role-mark > *")] : [];
          const visible = marks.filter((m) => {
            const b = m.getBBox();
            return b.width > 0 || b.height > 0;
          });
          return {
            id: fig.getAttribute("data-chart"),
            width: box?.width ?? 0,
            height: box?.height ?? 0,
            marks: marks.length,
            visible: visible.length,
          };
        });
      });
      expect(charts.map((c) => c.id)).toEqual(CHART_IDS);
      for (const c of charts) {
        expect(c.width, `${c.id} width`).toBeGreaterThan(100);
        expect(c.height, `${c.id} height`).toBeGreaterThan(50);
        expect(c.visible, `${c.id} visible data marks`).toBeGreaterThan(0);
      }
      // The gate tables are real tables a person can read: one row per ledger check.
      const gateRows = await page.locator("div.stage table.gates tbody tr").count();
      expect(gateRows).toBe(syntheticRun().stages.reduce((n, s) => n + s.checks.length, 0));

      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(problems).toEqual([]);
      expect(requests).toEqual([url]);
    } finally {
      await browser.close();
    }
  });
});
