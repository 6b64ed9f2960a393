import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tether } from "../tether-process.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const work = mkdtempSync(join(tmpdir(), "tether-train-cli-"));
/** One small dataset for every training run below. */
const data = join(work, "ds");
beforeAll(async () => {
  const r = await tether(
    "collect",
    "--robot",
    "pendulum",
    "--level",
    "random",
    "--episodes",
    "2",
    "--out",
    data,
  );
  expect(r.code, r.stderr).toBe(0);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("tether train --algo calql | rebrac", () => {
  it("trains both; rebrac on its paper's batch of 1024 unless --batch-size is given", async () => {
    const run = async (algo: string, ...extra: string[]) => {
      const out = join(work, algo);
      const r = await tether(
        "train",
        "--algo",
        algo,
        "--dataset",
        data,
        "--robot",
        "pendulum",
        "--steps",
        "2",
        "--eval-every",
        "0",
        "--hidden",
        "8,8",
        "--out",
        out,
        ...extra,
      );
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as Record<string, unknown>;
    };
    expect((await run("rebrac")).batchSize).toBe(1024);
    const calql = await run("calql", "--batch-size", "16", "--config", '{"sampledActions": 2}');
    expect(calql).toMatchObject({ algo: "calql", batchSize: 16, config: { alpha: 5, sampledActions: 2 } });
  }, 120_000);
});

describe("tether train --hidden", () => {
  it("trains every network at the given widths and records them in the run's config", async () => {
    const out = join(work, "bc");
    const r = await tether(
      "train",
      "--algo",
      "bc",
      "--dataset",
      data,
      "--robot",
      "pendulum",
      "--steps",
      "3",
      "--eval-every",
      "0",
      "--hidden",
      "8,4",
      "--out",
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as Record<string, unknown>;
    expect(JSON.stringify(config)).toContain('"hidden":[8,4]');
  }, 120_000);

  it("rejects widths that are not positive integers, naming the flag", async () => {
    const r = await tether(
      "train",
      "--algo",
      "bc",
      "--dataset",
      "x",
      "--robot",
      "pendulum",
      "--steps",
      "3",
      "--hidden",
      "8,0",
      "--out",
      join(work, "no"),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--hidden expects comma-separated positive integers, got "8,0"/);
  }, 60_000);

  it("--config sets fields of --algo, records them, and rejects a field the algorithm does not have", async () => {
    const common = ["train", "--dataset", data, "--robot", "pendulum", "--steps", "3", "--eval-every", "0"];
    const out = join(work, "iql-config");
    const r = await tether(
      ...common,
      "--algo",
      "iql",
      "--hidden",
      "8,8",
      "--config",
      '{"beta": 1.5}',
      "--out",
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as {
      config: Record<string, unknown>;
    };
    expect(config.config.beta).toBe(1.5);
    expect(config.config.hidden).toEqual([8, 8]);
    const bad = await tether(
      ...common,
      "--algo",
      "bc",
      "--config",
      '{"beta": 1}',
      "--out",
      join(work, "no2"),
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--config\.beta: bc has no such config field/);
  }, 120_000);
});

describe("tether train --device / --threads", () => {
  it("trains IQL on the engine with --threads 1 and says which device and why in its first line", async () => {
    const out = join(work, "iql-threads");
    const r = await tether(
      "train",
      "--algo",
      "iql",
      "--dataset",
      data,
      "--robot",
      "pendulum",
      "--steps",
      "3",
      "--eval-every",
      "0",
      "--hidden",
      "8,8",
      "--threads",
      "1",
      "--json",
      "--out",
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split("\n")[0]).toMatch(
      /^train: engine: onnxruntime-cpu, 1 thread \(CUDA not available: no libonnxruntime_providers_cuda\.so .*; --threads\)$/,
    );
    const summary = JSON.parse(r.stdout.trim().split("\n").at(-1) as string) as Record<string, unknown>;
    expect(summary).toMatchObject({ engine: "onnxruntime-cpu", threads: 1, steps: 3 });
  }, 120_000);

  // This machine has no CUDA provider: --device cuda must fail, never fall back silently.
  it("--device cuda fails clearly where the CUDA provider is not installed", async () => {
    const r = await tether(
      "train",
      "--algo",
      "iql",
      "--dataset",
      data,
      "--robot",
      "pendulum",
      "--steps",
      "3",
      "--device",
      "cuda",
      "--out",
      join(work, "cuda"),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("ONNX Runtime CUDA provider is not available");
    expect(r.stderr).toContain("--onnxruntime-node-install=cuda12");
  }, 60_000);
});
