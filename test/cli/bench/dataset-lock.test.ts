/**
 * The pid lock the benches share, and `openBenchDataset` under it: two real processes that both find the
 * dataset missing collect it once and open the same complete dataset; a lock left by a dead process is
 * taken over with a message naming it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isAlive, tryPidLock, waitPidLock } from "../../../src/cli/bench/pid-lock.js";
import { openBenchDataset, qualityDatasetDir } from "../../../src/cli/bench/quality-scale.js";
import { REPO_ROOT } from "../../../src/robot/load.js";
import { loggedChild } from "./logged-child.js";

const root = mkdtempSync(join(tmpdir(), "tether-dataset-lock-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The pid of a process that has exited (spawned and waited for). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", ""]);
  expect(isAlive(r.pid)).toBe(false);
  return r.pid;
}

/** Tries the lock from another process; returns what it saw ("taken" or the owner's pid). */
function tryFromChild(file: string): string {
  const script = `import("${join(REPO_ROOT, "src/cli/bench/pid-lock.ts")}").then(({ tryPidLock }) => {
    const l = tryPidLock(${JSON.stringify(file)});
    process.stdout.write("release" in l ? "taken" : String(l.owner));
    if ("release" in l) l.release();
  })`;
  const r = spawnSync(join(REPO_ROOT, "node_modules/.bin/tsx"), ["-e", script], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe("pid lock", () => {
  it("is held against other processes and other callers in this one, and gone once released", () => {
    const file = join(root, "a.pid");
    const lock = tryPidLock(file);
    expect("release" in lock).toBe(true);
    expect(readFileSync(file, "utf8")).toBe(String(process.pid));
    expect(tryPidLock(file)).toEqual({ owner: process.pid });
    expect(tryFromChild(file)).toBe(String(process.pid));
    if ("release" in lock) lock.release();
    expect(existsSync(file)).toBe(false);
    expect(tryFromChild(file)).toBe("taken");
  }, 120_000);

  it("takes over a lock whose process is gone, or that holds no pid, and says whose it was", () => {
    for (const content of [String(deadPid()), ""]) {
      const file = join(root, "stale.pid");
      writeFileSync(file, content);
      const stale: number[] = [];
      const lock = tryPidLock(file, (pid) => stale.push(pid));
      expect("release" in lock).toBe(true);
      expect(stale).toEqual([content === "" ? NaN : Number(content)]);
      expect(readFileSync(file, "utf8")).toBe(String(process.pid));
      if ("release" in lock) lock.release();
    }
  });

  it("leaves a live owner's lock alone", () => {
    const file = join(root, "live.pid");
    writeFileSync(file, String(process.ppid));
    const stale: number[] = [];
    expect(tryPidLock(file, (pid) => stale.push(pid))).toEqual({ owner: process.ppid });
    expect(stale).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(String(process.ppid));
  });

  it("waits for the owner's release, then takes it", async () => {
    const file = join(root, "wait.pid");
    const first = tryPidLock(file);
    if (!("release" in first)) throw new Error("first take failed");
    const owners: number[] = [];
    const second = waitPidLock(file, { pollMs: 10, onWait: (o) => owners.push(o) });
    await new Promise((r) => setTimeout(r, 50));
    expect(owners).toEqual([process.pid]);
    first.release();
    const lock = await second;
    expect(readFileSync(file, "utf8")).toBe(String(process.pid));
    lock.release();
  });
});

interface Opened {
  dir: string;
  status: string;
  episodes: number;
  contentHash: string;
  recovered: boolean;
}

/** A bench process opening the dataset; resolves with its stdout JSON and its log, calls onLog per chunk. */
function benchChild(dataDir: string, onLog: () => void) {
  const child = loggedChild(
    join(REPO_ROOT, "node_modules/.bin/tsx"),
    [join(REPO_ROOT, "test/cli/bench/open-bench-dataset-child.ts"), dataDir],
    onLog,
  );
  const done = child.done.then(({ stdout, log }) => ({ opened: JSON.parse(stdout) as Opened, log }));
  return { done, log: child.log };
}

describe("openBenchDataset under the lock", () => {
  it("two processes finding the dataset missing collect it once and open the same complete dataset", async () => {
    const dataDir = join(root, "two");
    const dir = qualityDatasetDir(dataDir, "pendulum", "medium", 3);
    // This test holds the lock first, so both children find the dataset missing and must wait; once both
    // say so it lets go, and the two race for the collection.
    const gate = tryPidLock(`${dir}.pid`);
    if (!("release" in gate)) throw new Error("could not take the gate lock");
    let released = false;
    let bothWaiting: () => void = () => {};
    const waiting = new Promise<void>((r) => (bothWaiting = r));
    const check = (): void => {
      if (!released && children.every((c) => c.log().includes(`process ${process.pid} is collecting`)))
        bothWaiting();
    };
    const children = [benchChild(dataDir, () => check()), benchChild(dataDir, () => check())];
    const finished = Promise.all(children.map((c) => c.done));
    // A child that finishes (or fails) without waiting on the held lock ends the test instead of hanging it.
    await Promise.race([
      waiting,
      finished.then(() => {
        throw new Error("both processes finished without waiting on the held lock");
      }),
    ]);
    released = true;
    gate.release();
    const [a, b] = await finished;

    const collections = [a, b].map((r) => r.log.match(/collecting .* \(3 episodes\)/g)?.length ?? 0);
    expect(collections.sort()).toEqual([0, 1]);
    expect(a.opened).toEqual(b.opened);
    expect(a.opened).toMatchObject({ dir, status: "complete", episodes: 3, recovered: false });
    expect(existsSync(`${dir}.pid`)).toBe(false);
  }, 600_000);

  it("takes over a lock left by a dead process, saying so, and collects the dataset", async () => {
    const dataDir = join(root, "stale");
    const dir = qualityDatasetDir(dataDir, "pendulum", "medium", 3);
    const dead = deadPid();
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(`${dir}.pid`, String(dead));
    const log: string[] = [];
    const ds = await openBenchDataset({
      dataDir,
      robot: "pendulum",
      robotName: "pendulum",
      level: "medium",
      episodes: 3,
      log: (line) => log.push(line),
    });
    expect(log[0]).toBe(
      `taking over ${dir}.pid from process ${dead}, which is gone (it was collecting ${dir})`,
    );
    expect(log.filter((l) => l.startsWith("collecting "))).toHaveLength(1);
    expect(ds.manifest.status).toBe("complete");
    expect(ds.manifest.counts.episodes).toBe(3);
    expect(existsSync(`${dir}.pid`)).toBe(false);
  }, 300_000);
});
