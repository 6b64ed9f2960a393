import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPolicyPackage } from "../../../src/policy/package.js";
import { comparePolicyOnnx } from "../../../src/rl/policy-onnx.js";
import { SKIP_CHECKER, checkWithPythonOnnx } from "../../rl/policy-onnx-check.js";
import { tether } from "../tether-process.js";

const work = mkdtempSync(join(tmpdir(), "tether-export-cli-"));
const data = join(work, "ds");
/** The trainer's two actor kinds: TD3+BC's deterministic actor and IQL's Gaussian one (tanh of the mean). */
const TRAINED = [
  { algo: "td3bc", kind: "deterministic", config: "{}" },
  { algo: "iql", kind: "tanh-gaussian", config: '{"actor": "gaussian"}' },
] as const;

beforeAll(async () => {
  const c = await tether(
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
  expect(c.code, c.stderr).toBe(0);
  for (const t of TRAINED) {
    const r = await tether(
      "train",
      "--algo",
      t.algo,
      "--dataset",
      data,
      "--robot",
      "pendulum",
      "--steps",
      "3",
      "--eval-every",
      "0",
      "--hidden",
      "16,16",
      "--config",
      t.config,
      "--out",
      join(work, t.algo),
    );
    expect(r.code, r.stderr).toBe(0);
  }
}, 240_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("tether train writes policy.onnx", () => {
  it.each(TRAINED)(
    "$algo: ONNX Runtime agrees with PolicyRunner within 1e-5 on 1,000 observations",
    async (t) => {
      const pkg = loadPolicyPackage(join(work, t.algo));
      expect(pkg.manifest.policy.kind).toBe(t.kind);
      expect(pkg.onnxFile).toBe(join(work, t.algo, "policy.onnx"));
      const cmp = await comparePolicyOnnx(pkg, readFileSync(pkg.onnxFile!), { rows: 1000, seed: 5 });
      expect(cmp.dims).toEqual([1000, 1]);
      expect(cmp.max_abs_diff).toBeLessThanOrEqual(1e-5);
    },
  );

  it.skipIf(SKIP_CHECKER).each(TRAINED)(
    "$algo: python3-onnx's full check accepts it, metadata included",
    (t) => {
      const pkg = loadPolicyPackage(join(work, t.algo));
      const m = checkWithPythonOnnx(pkg.onnxFile!);
      expect(m.metadata).toMatchObject({
        robot: "pendulum",
        algorithm: t.algo,
        dataset_hash: pkg.manifest.provenance.dataset_hash,
        policy_kind: t.kind,
      });
      expect(pkg.manifest.provenance.dataset_hash).not.toBe("");
      expect(JSON.parse(m.metadata.observation_names)).toEqual(pkg.manifest.observation.names);
      expect(JSON.parse(m.metadata.action_names)).toEqual(pkg.manifest.action.names);
      expect(m.inputs[0]).toMatchObject({ name: "observation", shape: ["N", pkg.manifest.observation.dim] });
      expect(m.outputs[0]).toMatchObject({ name: "action", shape: ["N", 1] });
    },
  );
});

describe("tether export", () => {
  /** The td3bc package as an older package: no policy.onnx and no `onnx` entry in policy.json. */
  function olderPackage(name: string): string {
    const dir = join(work, name);
    cpSync(join(work, "td3bc"), dir, { recursive: true });
    rmSync(join(dir, "policy.onnx"));
    const manifest = JSON.parse(readFileSync(join(dir, "policy.json"), "utf8")) as Record<string, unknown>;
    delete manifest.onnx;
    writeFileSync(join(dir, "policy.json"), JSON.stringify(manifest, null, 2));
    expect(loadPolicyPackage(dir).onnxFile).toBeUndefined();
    return dir;
  }

  it("--out writes the file elsewhere, the same bytes the trainer writes, and leaves the package alone", async () => {
    const dir = olderPackage("older-a");
    const out = join(work, "exported", "pendulum.onnx");
    const r = await tether("export", "--model", dir, "--out", out, "--json");
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(summary).toMatchObject({
      file: out,
      opset: 17,
      in_package: false,
      robot: "pendulum",
      algorithm: "td3bc",
      kind: "deterministic",
      act_dim: 1,
    });
    const check = summary.check as { rows: number; max_abs_diff: number };
    expect(check.rows).toBe(1000);
    expect(check.max_abs_diff).toBeLessThanOrEqual(1e-5);
    expect(readFileSync(out).equals(readFileSync(join(work, "td3bc", "policy.onnx")))).toBe(true);
    expect(existsSync(join(dir, "policy.onnx"))).toBe(false);
    expect(loadPolicyPackage(dir).manifest.onnx).toBeUndefined();
  }, 60_000);

  it("without --out adds policy.onnx to the package and records it in policy.json", async () => {
    const dir = olderPackage("older-b");
    const r = await tether("export", "--model", dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /wrote .*older-b\/policy\.onnx \(\d+ bytes, opset 17, recorded in policy\.json\)/,
    );
    expect(r.stdout).toMatch(
      /ONNX Runtime vs the plain-TS runner on 1000 random observations: max \|difference\| /,
    );
    const pkg = loadPolicyPackage(dir);
    expect(pkg.onnxFile).toBe(join(dir, "policy.onnx"));
    expect(pkg.manifest.onnx).toEqual(loadPolicyPackage(join(work, "td3bc")).manifest.onnx);
  }, 60_000);

  it("writes policy.onnx again where the package lists it but the file is gone", async () => {
    const dir = join(work, "damaged");
    cpSync(join(work, "iql"), dir, { recursive: true });
    rmSync(join(dir, "policy.onnx"));
    expect(() => loadPolicyPackage(dir)).toThrow(/onnx\.file: .*does not exist/);
    const r = await tether("export", "--model", dir);
    expect(r.code, r.stderr).toBe(0);
    expect(loadPolicyPackage(dir).manifest.onnx).toEqual(loadPolicyPackage(join(work, "iql")).manifest.onnx);
  }, 60_000);

  it("rejects a --model that holds no package, naming it", async () => {
    const r = await tether("export", "--model", "/nonexistent/pkg");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /\/nonexistent\/pkg: --model: no policy package \(policy\.json\) there or under models\//,
    );
  }, 60_000);
});
