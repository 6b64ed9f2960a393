/**
 * A lock file holding its owner's pid, for bench steps that two processes may start at once on one folder
 * (a `bench finetune` arm, a dataset the benches share, bench finetune's offline policy). Taking it is atomic: the pid is written to a
 * temporary file that is then hard-linked to the lock's name, which fails if the lock exists, so no reader
 * ever sees an empty lock. A lock whose process is gone is stale and is taken over.
 */
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

export interface PidLock {
  readonly file: string;
  /** Removes the lock if it is still this process's. */
  release(): void;
}

/** The live process holding a lock (this process's own pid when another call here holds it). */
export interface LockOwner {
  readonly owner: number;
}

/** Locks this process holds: the pid alone cannot tell two callers in one process apart. */
const held = new Set<string>();

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false; // kill(0) would signal our own process group
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the lock, or returns its live owner. A stale lock (its pid dead, or this process's pid left by an
 * earlier process that had it) is removed first and `onStale` is told its pid (NaN when it held none).
 */
export function tryPidLock(file: string, onStale?: (stalePid: number) => void): PidLock | LockOwner {
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  for (;;) {
    if (held.has(path)) return { owner: process.pid };
    if (link(path)) {
      held.add(path);
      return { file: path, release: () => release(path) };
    }
    const owner = readOwner(path);
    if (owner === undefined) continue; // released between our link and our read
    if (owner !== process.pid && isAlive(owner)) return { owner };
    if (removeIf(path, owner)) onStale?.(owner);
  }
}

/** Waits for the lock (polling every `pollMs`), then takes it; `onWait` is told each new owner waited on. */
export async function waitPidLock(
  file: string,
  options: { pollMs?: number; onWait?: (owner: number) => void; onStale?: (stalePid: number) => void } = {},
): Promise<PidLock> {
  let seen: number | undefined;
  for (;;) {
    const lock = tryPidLock(file, options.onStale);
    if ("release" in lock) return lock;
    if (lock.owner !== seen) options.onWait?.(lock.owner);
    seen = lock.owner;
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
  }
}

/**
 * Runs `fn` holding the lock, for a step two processes may both find undone (collecting a dataset, training a
 * policy): the second waits for the first and then runs `fn`, which checks again whether the step is done.
 * `doing` names the step in the log: who is doing it while this process waits, whose stale lock is taken over.
 */
export async function withPidLock<T>(
  file: string,
  doing: string,
  log: (line: string) => void,
  fn: () => Promise<T>,
): Promise<T> {
  const lock = await waitPidLock(file, {
    onWait: (owner) => log(`process ${owner} is ${doing}; waiting for it to finish`),
    onStale: (stale) => log(`taking over ${file} from process ${stale}, which is gone (it was ${doing})`),
  });
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

function link(path: string): boolean {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, String(process.pid));
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The pid in the lock file; undefined when there is no file, NaN when it holds no pid. */
function readOwner(path: string): number | undefined {
  try {
    const text = readFileSync(path, "utf8").trim();
    return /^\d+$/.test(text) ? Number(text) : NaN;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * Removes the lock only if it still names `stale`: it is moved aside first (one mover wins), and a lock
 * another process took in between is linked back. True when the stale lock was removed.
 */
function removeIf(path: string, stale: number): boolean {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
  try {
    if (Object.is(readOwner(aside), stale)) return true;
    try {
      linkSync(aside, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    return false;
  } finally {
    rmSync(aside, { force: true });
  }
}

function release(path: string): void {
  if (!held.delete(path)) return;
  if (readOwner(path) === process.pid) rmSync(path, { force: true });
}
