/**
 * `tether bench finetune` on a tiny real run (pendulum, real MuJoCo and ONNX Runtime, real child processes):
 * the JSON fields the issue names, and the paired-CI arithmetic re-derived from the arms' own result files.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registerBenchFinetune } from "../../../src/cli/bench/finetune.js";
import type { FinetuneJobResult } from "../../../src/nodes/finetune/finetune-job.js";
import { pairedGain } from "../../../src/rl/eval/paired-gain.js";
import { benchJson } from "./bench-json.js";

const root = mkdtempSync(join(tmpdir(), "tether-bench-finetune-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const args = [
  "finetune",
  ...["--robot", "pendulum", "--seeds", "2", "--jobs", "4"],
  ...["--data-dir", join(root, "data"), "--models-dir", join(root, "models"), "--out", join(root, "out")],
  ...["--dataset-episodes", "3", "--hidden", "8,8", "--offline-steps", "20"],
  ...["--env-steps", "100", "--eval-every", "50", "--eval-episodes", "2", "--json"],
];
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const readResult = (seed: number, arm: string): FinetuneJobResult =>
  JSON.parse(readFileSync(join(root, "out", `s${seed}-${arm}`, "result.json"), "utf8")) as FinetuneJobResult;

describe("bench finetune", () => {
  it("prints the issue's fields and a paired gain that the arms' evaluations reproduce", async () => {
    const r = await benchJson(registerBenchFinetune, args);
    for (const f of ["gain", "gain_ci_low", "gain_ci_high", "estops", "shield_interventions", "env_steps"])
      expect(typeof r[f], f).toBe("number");
    expect(r.env_steps).toBe(100);
    expect(r.estops).toBe(0);
    expect(r.robot).toBe("pendulum");
    expect(r.algo).toBe("iql");
    expect(r.gain_ci_low).toBeLessThanOrEqual(r.gain);
    expect(r.gain).toBeLessThanOrEqual(r.gain_ci_high);

    const perSeedDiffs: number[][] = [];
    let interventions = 0;
    for (const seed of [0, 1]) {
      const online = readResult(seed, "online");
      const control = readResult(seed, "control");
      expect(online.ratio).toBe(0.5);
      expect(control.ratio).toBe(1);
      // The same update budget, and the same evaluation seeds: step 0 is one policy on one set of episodes.
      expect(online.updates).toBe(control.updates);
      expect(online.curve[0].scores).toEqual(control.curve[0].scores);
      const a = online.curve.at(-1)!;
      const b = control.curve.at(-1)!;
      expect(a.env_step).toBe(100);
      const d = a.scores.map((x, i) => x - b.scores[i]);
      perSeedDiffs.push(d);
      const s = r.per_seed[seed];
      expect(s.seed).toBe(seed);
      expect(s.env_step).toBe(100);
      expect(s.gain.mean).toBeCloseTo(mean(d), 9);
      expect(s.online.mean).toBeCloseTo(online.final_score, 9);
      expect(s.control.mean).toBeCloseTo(control.final_score, 9);
      expect(s.gain.ci_low).toBeLessThanOrEqual(s.gain.mean);
      expect(s.gain.ci_high).toBeGreaterThanOrEqual(s.gain.mean);
      interventions += online.filtered + control.filtered;
    }
    // Pooled: the mean of the seeds' paired means, with the two-level (seeds, then episodes) bootstrap of those differences.
    expect(r.gain).toBeCloseTo((mean(perSeedDiffs[0]) + mean(perSeedDiffs[1])) / 2, 9);
    const again = pairedGain(
      [0, 1].map((seed) => ({
        seed,
        online: readResult(seed, "online").curve.at(-1)!.scores,
        control: readResult(seed, "control").curve.at(-1)!.scores,
      })),
      { seed: 0 },
    );
    expect([again.gain_ci_low, again.gain_ci_high]).toEqual([r.gain_ci_low, r.gain_ci_high]);
    expect(r.shield_interventions).toBe(interventions);
    expect(r.curve[0].points.map((p: { env_step: number }) => p.env_step)).toEqual([0, 50, 100]);
    expect(r.load_average.start).toHaveLength(3);

    // The same command again reuses the finished arms (their result files stay untouched) and the offline policy.
    const before = statSync(join(root, "out", "s0-online", "result.json")).mtimeMs;
    const r2 = await benchJson(registerBenchFinetune, args);
    expect(statSync(join(root, "out", "s0-online", "result.json")).mtimeMs).toBe(before);
    expect(r2.gain).toBe(r.gain);
    expect(r2.partial).toBe(false);

    // --partial runs nothing: an arm without its result (still running, or interrupted) counts as far as its
    // curve goes, and the verdict is withheld.
    const s1Online = readResult(1, "online").filtered;
    rmSync(join(root, "out", "s1-online", "result.json"));
    const p = await benchJson(registerBenchFinetune, [...args, "--partial"]);
    expect(p.partial).toBe(true);
    expect(p.unfinished_arms).toEqual(["s1-online"]);
    expect(p.gain).toBe(r.gain);
    expect(p.target.met).toBe(false);
    // Safety counts of finished arms only; the unfinished arm had no e-stop (an e-stop ends a run and writes its result).
    expect(p.shield_interventions).toBe(interventions - s1Online);
    expect(p.estops).toBe(0);

    // IQL has no BC schedule: its control runs with the arguments it always had (finished arms stay reusable).
    expect(readFileSync(join(root, "out", "s0-control", "bench-args.json"), "utf8")).not.toContain(
      "bc-decay",
    );

    // An arm another live process is running is refused, not started a second time into the same folder.
    writeFileSync(join(root, "out", "s1-online", "bench.pid"), String(process.ppid));
    await expect(benchJson(registerBenchFinetune, args)).rejects.toThrow(/is running this arm/);
  }, 900_000);

  it("--algo rebrac: the control arm keeps the offline BC weights, the online arm decays them", async () => {
    const out = join(root, "out-rebrac");
    const r = await benchJson(registerBenchFinetune, [
      ...args.map((a) => (a === join(root, "out") ? out : a)),
      ...["--algo", "rebrac", "--seeds", "1"],
    ]);
    expect(r.algo).toBe("rebrac");
    const byArm = (arm: string) => r.runs.find((x: { arm: string }) => x.arm === arm);
    expect(byArm("control").bc_decay).toBe(false);
    expect(byArm("online").bc_decay).toBe(true);
    const result = (arm: string): FinetuneJobResult =>
      JSON.parse(readFileSync(join(out, `s0-${arm}`, "result.json"), "utf8")) as FinetuneJobResult;
    expect([result("online").bc_decay, result("online").ratio]).toEqual([true, 0.5]);
    expect([result("control").bc_decay, result("control").ratio]).toEqual([false, 1]);
    expect(JSON.parse(readFileSync(join(out, "s0-control", "bench-args.json"), "utf8"))).toContain(
      "--no-bc-decay",
    );
    expect(JSON.parse(readFileSync(join(out, "s0-online", "bench-args.json"), "utf8"))).not.toContain(
      "--no-bc-decay",
    );
  }, 900_000);

  it("rejects a control ratio for the online arm and too few evaluation episodes", async () => {
    await expect(benchJson(registerBenchFinetune, [...args, "--ratio", "1"])).rejects.toThrow(/--ratio/);
    await expect(benchJson(registerBenchFinetune, [...args, "--eval-episodes", "1"])).rejects.toThrow(
      /--eval-episodes/,
    );
  });
});
