/**
 * Two real `tether bench finetune` processes sharing --models-dir (one per seed, sharing --out) that both find
 * the offline policy missing: one trains it, the other waits and reuses the finished package. The test holds
 * the policy's lock first, so both must reach the training step before either can take it; it then leaves
 * the lock to a dead process, so the race starts from a stale lock, which one of them takes over, saying so.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isAlive, tryPidLock } from "../../../src/cli/bench/pid-lock.js";
import { openBenchDataset } from "../../../src/cli/bench/quality-scale.js";
import { REPO_ROOT } from "../../../src/robot/load.js";
import { loggedChild } from "./logged-child.js";

const root = mkdtempSync(join(tmpdir(), "tether-finetune-lock-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const dataDir = join(root, "data");
const modelsDir = join(root, "models");
// The folder bench finetune names for these settings (pendulum, medium, 3 episodes, iql, 8x8, 20 updates).
const modelDir = join(modelsDir, "finetune-pendulum-medium-3ep-iql-8x8-20u");
const lockFile = `${modelDir}.pid`;

/** One bench process running seed `seed`; resolves with its JSON summary and its log, calls onLog per chunk. */
function benchChild(seed: number, onLog: () => void) {
  const args = [
    ...["bench", "finetune", "--robot", "pendulum", "--seeds", "1", "--first-seed", String(seed)],
    ...["--data-dir", dataDir, "--models-dir", modelsDir, "--out", join(root, "out")],
    ...["--dataset-episodes", "3", "--hidden", "8,8", "--offline-steps", "20"],
    ...["--env-steps", "100", "--eval-every", "100", "--eval-episodes", "2", "--threads", "1", "--json"],
  ];
  const child = loggedChild(process.execPath, [join(REPO_ROOT, "src/cli/bin.js"), ...args], onLog);
  const done = child.done.then(({ stdout, log }) => ({
    summary: JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, unknown>,
    log,
  }));
  return { done, log: child.log };
}

const count = (text: string, line: string): number => text.split("\n").filter((l) => l === line).length;

describe("bench finetune's offline policy under the pid lock", () => {
  it("two benches finding it missing train it once; the other reuses it; a dead owner's lock is taken over", async () => {
    // The dataset is there first, so the two processes race on the training alone.
    await openBenchDataset({
      dataDir,
      robot: "pendulum",
      robotName: "pendulum",
      level: "medium",
      episodes: 3,
      log: () => {},
    });
    const gate = tryPidLock(lockFile);
    if (!("release" in gate)) throw new Error("could not take the gate lock");
    const waitLine = `bench finetune: process ${process.pid} is training ${modelDir}; waiting for it to finish`;
    let bothWaiting: () => void = () => {};
    const waiting = new Promise<void>((r) => (bothWaiting = r));
    const check = (): void => {
      if (children.every((c) => c.log().includes(waitLine))) bothWaiting();
    };
    const children = [benchChild(0, () => check()), benchChild(1, () => check())];
    const finished = Promise.all(children.map((c) => c.done));
    // Code without the lock does not wait: both children then run to the end and the checks below fail.
    await Promise.race([waiting, finished]);

    // The gate's owner dies: its lock now names a process that is gone (swapped in whole, never half-written).
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    expect(isAlive(dead)).toBe(false);
    writeFileSync(`${lockFile}.swap`, String(dead));
    renameSync(`${lockFile}.swap`, lockFile);
    const [a, b] = await finished;

    const trained = [a, b].map((r) =>
      count(r.log, `bench finetune: training iql 8x8 for 20 updates into ${modelDir}`),
    );
    expect(trained.sort()).toEqual([0, 1]);
    const reused = [a, b].map((r) => count(r.log, `bench finetune: reusing the offline policy ${modelDir}`));
    expect(reused.sort()).toEqual([0, 1]);
    for (const r of [a, b]) expect(r.log).toContain(waitLine);
    const takeover = `bench finetune: taking over ${lockFile} from process ${dead}, which is gone (it was training ${modelDir})`;
    expect(count(a.log, takeover) + count(b.log, takeover)).toBe(1);
    for (const r of [a, b]) {
      expect(r.summary.offline_policy).toMatchObject({ dir: modelDir, hidden: [8, 8], steps: 20 });
      expect(r.summary.partial).toBe(false);
    }
    expect(existsSync(lockFile)).toBe(false);
  }, 900_000);
});
