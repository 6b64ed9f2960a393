/**
 * WorkerPolicy with a policy that has memory: the ticks it skips (busy after a deadline miss, e-stop ticks
 * through `observe`) reach the worker's controller in order, across an episode reset, before its next
 * action; a full ring and a throw while taking a tick in are errors, never a silent gap.
 */
import { afterEach, describe, expect, it } from "vitest";
import { PolicyTimeoutError } from "../../../src/safety/fallback.js";
import { WorkerPolicy } from "../../../src/safety/loop/worker-policy.js";
import { CALL } from "./fixtures/remembering-controller.js";

const module = new URL("./fixtures/remembering-controller.ts", import.meta.url).href;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let policy: WorkerPolicy | undefined;
afterEach(async () => {
  await policy?.close();
  policy = undefined;
});

describe("WorkerPolicy with a policy that has memory", () => {
  it("skipped ticks reach the controller in order before its next action; a full ring and a throw are errors", async () => {
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const count = new Int32Array(new SharedArrayBuffer(4));
    const log = new Float64Array(new SharedArrayBuffer(8 * 64));
    const p = await WorkerPolicy.start({
      module,
      options: { gate, log, count },
      obsDim: 1,
      sigDim: 1,
      actDim: 1,
      timeoutMs: 50,
      skipCapacity: 2,
    });
    policy = p;
    const out = new Float64Array(1);
    const tick = (x: number): unknown => {
      try {
        p.act(Float32Array.of(x), Float64Array.of(x), out);
        return "answered";
      } catch (err) {
        return err;
      }
    };
    const calls = (): number[][] =>
      Array.from({ length: Atomics.load(count, 0) }, (_, i) => [log[2 * i], log[2 * i + 1]]);
    const waitCalls = async (n: number): Promise<void> => {
      for (let i = 0; i < 3000 && Atomics.load(count, 0) < n; i++) await sleep(5);
    };

    Atomics.store(gate, 0, 1); // the next action blocks
    expect(tick(1)).toBeInstanceOf(PolicyTimeoutError); // a deadline miss: the worker still computes it
    const busy = tick(2);
    expect(busy).toBeInstanceOf(PolicyTimeoutError);
    expect(String(busy)).toMatch(/still busy/);
    p.reset(); // a new episode between two skipped ticks
    expect(tick(3)).toBeInstanceOf(PolicyTimeoutError);
    // The ring (capacity 2) is full: this tick would be lost, so it is an error of its own kind.
    const full = tick(4);
    expect(full).toBeInstanceOf(Error);
    expect(full).not.toBeInstanceOf(PolicyTimeoutError);
    expect(String(full)).toMatch(
      /has not taken in the 2 ticks it skipped before: its memory misses this tick/,
    );
    expect(() => p.observe(Float32Array.of(4.5), Float64Array.of(4.5))).toThrow(/has not taken in/);
    expect(calls()).toEqual([]);

    Atomics.store(gate, 0, 0);
    Atomics.notify(gate, 0);
    await waitCalls(4);
    expect(tick(5)).toBe("answered");
    expect(calls()).toEqual([
      [CALL.act, 1],
      [CALL.observe, 2],
      [CALL.reset, 0],
      [CALL.observe, 3],
      [CALL.act, 5],
    ]);

    // An e-stop tick (observe) wakes the idle worker, which takes it in at once.
    p.observe(Float32Array.of(6), Float64Array.of(6));
    await waitCalls(6);
    expect(calls()[5]).toEqual([CALL.observe, 6]);
    // A throw while taking a tick in fails the next request with its message (that action still ran).
    p.observe(Float32Array.of(-7), Float64Array.of(-7));
    await waitCalls(7);
    const failed = tick(8);
    expect(failed).toBeInstanceOf(Error);
    expect(String(failed)).toMatch(/taking in a skipped tick: negative observation -7/);
    expect(calls().slice(6)).toEqual([
      [CALL.observe, -7],
      [CALL.act, 8],
    ]);
    expect(tick(9)).toBe("answered");
  }, 60_000);

  it("a policy without memory skips nothing: observe is a no-op and a busy tick is only a timeout", async () => {
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const p = await WorkerPolicy.start({
      module: new URL("./fixtures/gated-controller.ts", import.meta.url).href,
      options: { gate },
      obsDim: 2,
      sigDim: 1,
      actDim: 2,
      timeoutMs: 50,
      skipCapacity: 1,
    });
    policy = p;
    const out = new Float64Array(2);
    Atomics.store(gate, 0, 1);
    const obs = Float32Array.of(0.1, 0.1);
    expect(() => p.act(obs, new Float64Array(1), out)).toThrow(PolicyTimeoutError);
    for (let i = 0; i < 3; i++) {
      expect(() => p.act(obs, new Float64Array(1), out)).toThrow(PolicyTimeoutError);
      expect(() => p.observe(obs, new Float64Array(1))).not.toThrow();
    }
    Atomics.store(gate, 0, 0);
    Atomics.notify(gate, 0);
  }, 60_000);
});
