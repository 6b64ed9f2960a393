import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openBag } from "../../src/data/rosbag2/bag.js";
import { runDemo } from "../../src/deploy/demo/run-demo.js";
import { DEMO_PRESETS } from "../../src/deploy/demo/presets.js";
import { RunDirError } from "../../src/deploy/demo/run-dir.js";
import { readRunState, writeRunState } from "../../src/deploy/demo/run-state.js";
import { ConfigError } from "../../src/core/errors.js";
import type { GatesConfig } from "../../src/deploy/gates.js";
import type { Ledger } from "../../src/deploy/ledger.js";
import { STAGES } from "../../src/deploy/stages.js";

/** Gates wide enough that a 40-update policy climbs the whole ladder: the test is about the pipeline. */
const t0 = { max_estops: 100, agreement_tolerance: 0.25 };
const LOOSE: GatesConfig = {
  "offline-eval": { ...t0, max_support_gap: 100 },
  "sim-eval": { ...t0, score_margin: 1000, max_support_gap: 100 },
  "sim-finetune": { ...t0, score_margin: 1000 },
  shadow: { ...t0, max_support_gap: 100, min_agreement: 0 },
  canary: { ...t0, score_margin: 1000, max_deadline_miss_ratio: 1 },
  full: { ...t0, score_margin: 1000, max_deadline_miss_ratio: 1 },
};

const quiet = (): undefined => undefined;

describe("tether demo (tiny budgets, real code path)", () => {
  it("collects, trains, climbs the stages, writes the report, ledger, run logs; resume skips done steps", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "tether-demo-")), "run");
    const r = await runDemo({ robot: "pendulum", budget: DEMO_PRESETS.tiny, out, gates: LOOSE, log: quiet });
    expect(existsSync(join(out, "report.html"))).toBe(true);
    const summary = JSON.parse(readFileSync(join(out, "run-summary.json"), "utf8"));
    expect(summary.robot).toBe("pendulum");
    const state = readRunState(out);
    expect(state.finished).toBe(true);
    const ran = STAGES.filter((s) => state.steps[`stage:${s}`]?.status === "completed");
    expect(ran).toEqual([...STAGES]);
    const ledger = JSON.parse(readFileSync(join(out, "models", "iql", "stages.json"), "utf8")) as Ledger;
    expect(ledger.history.map((e) => e.stage)).toEqual(ran);
    expect(summary.stages.map((s: { stage: string }) => s.stage)).toEqual(ran);
    expect(r.table).toContain("canary");

    const logs = r.summary.paths.run_logs ?? [];
    expect(logs.map((f) => f.split("/").at(-1)?.split("-v")[0])).toEqual([
      "sim-eval",
      "shadow",
      "canary",
      "full",
    ]);
    for (const file of logs) {
      const bag = await openBag(file);
      const counts = Object.fromEntries(bag.topics.map((t) => [t.name, t.messageCount]));
      await bag.close();
      expect(counts["/joint_states"]).toBeGreaterThan(0);
      expect(counts["/clock"]).toBe(counts["/joint_states"]);
      expect(counts["/forward_effort_controller/commands"]).toBe(counts["/joint_states"]);
    }

    // resume: every step is done, nothing re-runs, the ledger gets no new entry
    await runDemo({ robot: "pendulum", resume: out, gates: LOOSE, log: quiet });
    const again = JSON.parse(readFileSync(join(out, "models", "iql", "stages.json"), "utf8")) as Ledger;
    expect(again.history.length).toBe(ran.length);
    expect(readRunState(out).steps.collect.ended_s).toBe(state.steps.collect.ended_s);

    // an interruption before the last stage finished: resume runs only that stage
    const cut = readRunState(out);
    delete cut.steps["stage:full"];
    cut.finished = false;
    writeRunState(out, cut);
    await runDemo({ robot: "pendulum", resume: out, gates: LOOSE, log: quiet });
    const resumed = readRunState(out);
    expect(resumed.finished).toBe(true);
    expect(resumed.steps["stage:full"]?.status).toBe("completed");
    expect(resumed.steps["stage:canary"].ended_s).toBe(state.steps["stage:canary"].ended_s);
    const after = JSON.parse(readFileSync(join(out, "models", "iql", "stages.json"), "utf8")) as Ledger;
    expect(after.history.map((e) => e.stage)).toEqual([...ran, "full"]);
  }, 180_000);

  it("names the robots when the robot does not exist", async () => {
    const err = await runDemo({ robot: "no-such-bot", budget: DEMO_PRESETS.tiny, log: quiet }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect(String(err.message)).toContain('unknown robot "no-such-bot"');
    expect(String(err.message)).toContain("pendulum");
  });

  it("says the run folder cannot be written (a file where logs/ should be)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tether-demo-"));
    const file = join(dir, "logs");
    writeFileSync(file, "not a folder");
    const err = await runDemo({
      robot: "pendulum",
      budget: DEMO_PRESETS.tiny,
      out: join(file, "run"),
      log: quiet,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(RunDirError);
    expect(String(err.message)).toContain(join(file, "run"));
  });
});
