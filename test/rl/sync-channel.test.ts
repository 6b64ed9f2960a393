import { MessageChannel, type Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TetherError } from "../../src/core/errors.js";
import { startTsWorker, WorkerError } from "../../src/core/ts-worker.js";
import { createDoorbell, SyncCaller } from "../../src/rl/sync-channel.js";

let worker: Worker;
let caller: SyncCaller;

beforeAll(async () => {
  const { port1, port2 } = new MessageChannel();
  const doorbell = createDoorbell();
  worker = startTsWorker(
    new URL("./fixtures/sync-echo-worker.ts", import.meta.url),
    { port: port2, doorbell },
    [port2],
  );
  await new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  caller = new SyncCaller(port1, doorbell, "echo worker");
});

afterAll(async () => {
  await worker.terminate();
});

describe("SyncCaller / serveSync", () => {
  it("answers synchronously, in order, with typed arrays intact", () => {
    expect(caller.call({ type: "echo", value: 41 })).toBe(41);
    caller.send({ type: "echo", value: "a" });
    caller.send({ type: "echo", value: Float32Array.of(1.5, -2) });
    expect(caller.receive()).toBe("a");
    expect(caller.receive()).toEqual(Float32Array.of(1.5, -2));
  });

  it("rethrows a worker's TetherError with its code and message, and wraps other errors", () => {
    let err: unknown;
    try {
      caller.call({ type: "shape" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TetherError);
    expect((err as TetherError).code).toBe("SHAPE_MISMATCH");
    expect((err as TetherError).message).toBe("batch actions: expected 16, got 3");
    expect(() => caller.call({ type: "plain" })).toThrow(WorkerError);
    expect(() => caller.call({ type: "plain" })).toThrow(/echo worker: RangeError: out of range/);
    // Still serving after errors.
    expect(caller.call({ type: "echo", value: 1 })).toBe(1);
  });

  it("fails clearly instead of blocking forever when the worker exits mid-request", () => {
    expect(() => caller.call({ type: "die" })).toThrow("echo worker exited");
  });
});
