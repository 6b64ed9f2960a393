/**
 * `tether finetune --algo` for the offline-to-online algorithms: Cal-QL and ReBRAC packages trained for a few
 * updates fine-tune in MujocoEnv behind the real shield and monitors (at 2 updates per env step), every update's
 * metrics finite and a loadable version saved; --algo naming another algorithm than the package's, or one
 * outside iql|awac|calql|rebrac, fails before any env step with the model named.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restoreLearner, runFinetuneJob } from "../../../src/nodes/finetune/finetune-job.js";
import { loadPolicyPackage } from "../../../src/policy/package.js";
import type { Learner, Metrics } from "../../../src/rl/algos/learner.js";
import type { ReBracLearner } from "../../../src/rl/algos/rebrac.js";
import { tether } from "../../cli/tether-process.js";
import { collectTinyDataset, trainTinyPackage } from "../../fixtures/tiny-package.js";

const root = mkdtempSync(join(tmpdir(), "tether-finetune-algo-"));
const datasetDir = join(root, "pendulum-medium");
const models = { calql: join(root, "models", "calql"), rebrac: join(root, "models", "rebrac") };
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  await collectTinyDataset(datasetDir, { robot: "pendulum" });
  for (const algo of ["calql", "rebrac"] as const)
    await trainTinyPackage(datasetDir, models[algo], {
      robot: "pendulum",
      algo,
      batchSize: 16,
      config: algo === "calql" ? { hidden: [8, 8], sampledActions: 2 } : { hidden: [8, 8] },
    });
}, 180_000);

/** Records the metrics of every update the loop runs. */
function recordingUpdates(sink: Metrics[]): (learner: Learner) => Learner {
  return (learner) =>
    new Proxy(learner, {
      get(target, prop, receiver) {
        if (prop === "update")
          return (batch: Parameters<Learner["update"]>[0]) => {
            const m = target.update(batch);
            sink.push({ ...m });
            return m;
          };
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === "function" ? (v as (...args: unknown[]) => unknown).bind(target) : v;
      },
    });
}

describe("finetune --algo calql|rebrac (real MuJoCo, tiny nets)", () => {
  it.each(["calql", "rebrac"] as const)(
    "fine-tunes a %s package with finite metrics at 2 updates per env step and saves a loadable version",
    async (algo) => {
      const metrics: Metrics[] = [];
      const result = await runFinetuneJob({
        model: models[algo],
        algo,
        robot: "pendulum",
        dataset: datasetDir,
        envSteps: 60,
        ratio: 0.5,
        updatesPerStep: 2,
        evalEvery: 30,
        evalEpisodes: 2,
        batchSize: 16,
        seed: 0,
        explorationStd: 0.1,
        out: join(root, `run-${algo}`),
        plot: false,
        saveVersions: "every-eval",
        wrapLearner: recordingUpdates(metrics),
      });
      expect(result.algo).toBe(algo);
      expect(result.updates).toBe(120);
      expect(metrics.length).toBe(120);
      for (const m of metrics) {
        expect(Object.keys(m).length).toBeGreaterThan(0);
        for (const [k, v] of Object.entries(m)) expect(Number.isFinite(v), `${k} = ${v}`).toBe(true);
      }
      if (algo === "rebrac") {
        // The critic's BC penalty decays to nothing over the 120 updates (never negative).
        const bc = metrics.map((m) => m["loss/critic_bc"]);
        expect(bc.at(-1)).toBeLessThan(bc[0]);
        expect(Math.min(...bc)).toBeGreaterThanOrEqual(0);
      }
      expect(result.violations).toBe(0);
      for (const p of result.curve) expect(Number.isFinite(p.score)).toBe(true);
      expect(result.versions.length).toBeGreaterThan(0);
      const v = result.versions.at(-1)!;
      const { learner } = restoreLearner(v.dir, loadPolicyPackage(v.dir), 0, algo);
      expect(learner.algo).toBe(algo);
      expect(learner.step).toBe(metrics.length + 10);
      learner.dispose();
    },
    180_000,
  );

  it("rebrac: the offline-only control (ratio 1, bcDecay false) keeps the offline β's, the online arm decays them", async () => {
    const run = async (arm: "online" | "control") => {
      const betas: { actor: number; critic: number }[] = [];
      let offline: { actor: number; critic: number } | undefined;
      const result = await runFinetuneJob({
        model: models.rebrac,
        robot: "pendulum",
        dataset: datasetDir,
        envSteps: 40,
        ratio: arm === "online" ? 0.5 : 1,
        bcDecay: arm === "online" ? undefined : false,
        updatesPerStep: 1,
        evalEvery: 0,
        evalEpisodes: 2,
        batchSize: 16,
        seed: 0,
        explorationStd: 0.1,
        out: join(root, `rebrac-${arm}`),
        plot: false,
        // The β's each update is fed, read from the real learner the job restored.
        wrapLearner: (learner) => {
          const rebrac = learner as ReBracLearner;
          offline = { actor: rebrac.config.actorBc, critic: rebrac.config.criticBc };
          return new Proxy(rebrac, {
            get(target, prop, receiver) {
              if (prop === "update")
                return (batch: Parameters<Learner["update"]>[0]) => {
                  betas.push(target.betas());
                  return target.update(batch);
                };
              const v = Reflect.get(target, prop, receiver) as unknown;
              return typeof v === "function" ? (v as (...args: unknown[]) => unknown).bind(target) : v;
            },
          });
        },
      });
      return { result, betas, offline: offline! };
    };
    const online = await run("online");
    const control = await run("control");
    for (const r of [online, control]) {
      expect(r.betas).toHaveLength(40);
      expect(r.offline.actor).toBeGreaterThan(0);
      expect(r.offline.critic).toBeGreaterThan(0);
    }
    expect(control.result.bc_decay).toBe(false);
    expect(online.result.bc_decay).toBe(true);
    for (const b of control.betas) expect(b).toEqual(control.offline);
    // Online: CORL's linear schedule from the offline β's, the k-th of 40 updates at 1 - k/40.
    online.betas.forEach((b, k) => {
      expect(b.actor).toBeCloseTo(online.offline.actor * (1 - k / 40), 12);
      expect(b.critic).toBeCloseTo(online.offline.critic * (1 - k / 40), 12);
    });
    expect(online.betas.at(-1)!.actor).toBeLessThan(online.offline.actor / 10);
  }, 300_000);

  it("refuses --algo naming another algorithm than the package's, naming the model", async () => {
    await expect(
      runFinetuneJob({
        model: models.calql,
        algo: "rebrac",
        robot: "pendulum",
        dataset: datasetDir,
        envSteps: 10,
        ratio: 0.5,
        updatesPerStep: 1,
        evalEvery: 0,
        evalEpisodes: 2,
        batchSize: 16,
        seed: 0,
        explorationStd: 0.1,
        out: join(root, "run-mismatch"),
        plot: false,
      }),
    ).rejects.toThrow(`model ${models.calql} was trained with calql; --algo rebrac cannot continue it`);
  });

  it.each(["td3bc", "bc", "cql", "dt", "sac"])("refuses --algo %s, naming the model", (algo) => {
    const pkg = loadPolicyPackage(models.rebrac);
    expect(() => restoreLearner(models.rebrac, pkg, 0, algo)).toThrow(
      `--algo ${algo} cannot fine-tune model ${models.rebrac}`,
    );
  });

  it("tether finetune --algo: a mismatch exits non-zero with the model and both algorithms named", async () => {
    const r = await tether(
      "finetune",
      "--model",
      models.rebrac,
      "--algo",
      "iql",
      "--robot",
      "pendulum",
      "--dataset",
      datasetDir,
      "--env-steps",
      "10",
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `model ${models.rebrac} was trained with rebrac; --algo iql cannot continue it`,
    );
  }, 60_000);
});
