import { afterEach, describe, expect, it } from "vitest";
import { PolicyTimeoutError } from "../../../src/safety/fallback.js";
import { WorkerPolicy } from "../../../src/safety/loop/worker-policy.js";
import { runWorkerPolicyFault } from "../../../src/safety/loop/worker-policy-faults.js";
import {
  createPolicyTrace,
  summarizePolicyTrace,
  TRACE,
  TRACE_FIELDS,
} from "../../../src/safety/loop/policy-trace.js";

const module = new URL("./fixtures/gated-controller.ts", import.meta.url).href;
const counting = new URL("./fixtures/counting-controller.ts", import.meta.url).href;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let policy: WorkerPolicy | undefined;
afterEach(async () => {
  await policy?.close();
  policy = undefined;
});

/** Generous timeouts: only the gated test means to time out, and it does whatever the machine's load. */
async function start(gate: Int32Array, timeoutMs = 5000): Promise<WorkerPolicy> {
  policy = await WorkerPolicy.start({
    module,
    options: { gate },
    obsDim: 2,
    sigDim: 1,
    actDim: 2,
    timeoutMs,
  });
  return policy;
}

describe("WorkerPolicy", () => {
  it("returns the worker's action for this tick's observation", async () => {
    const p = await start(new Int32Array(new SharedArrayBuffer(4)));
    const out = new Float64Array(2);
    p.act(Float32Array.of(0.25, -0.5), new Float64Array(1), out);
    expect(Array.from(out)).toEqual([0.5, -1]);
    p.act(Float32Array.of(0.125, 0.5), new Float64Array(1), out);
    expect(Array.from(out)).toEqual([0.25, 1]);
  });

  it("gives up at the timeout while the call is stuck, fails fast while busy, never returns a stale answer", async () => {
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const p = await start(gate, 50);
    const out = new Float64Array(2).fill(7);
    Atomics.store(gate, 0, 1); // the next call hangs
    expect(() => p.act(Float32Array.of(0.1, 0.1), new Float64Array(1), out)).toThrow(PolicyTimeoutError);
    expect(() => p.act(Float32Array.of(0.2, 0.2), new Float64Array(1), out)).toThrow(/still busy/);
    expect(Array.from(out)).toEqual([7, 7]);
    Atomics.store(gate, 0, 0);
    Atomics.notify(gate, 0);
    // Once the worker has answered the abandoned call, the next call gets its own, fresh answer.
    let answer: number[] | undefined;
    for (let i = 0; i < 1000 && answer === undefined; i++) {
      try {
        p.act(Float32Array.of(0.3, 0.4), new Float64Array(1), out);
        answer = Array.from(out);
      } catch (err) {
        expect(err).toBeInstanceOf(PolicyTimeoutError);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    expect(answer?.map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0.6, 0.8]);
  });

  it("begin hands this observation over at once; act collects that answer, whatever the arrays hold by then", async () => {
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const p = await start(gate);
    const obs = Float32Array.of(0.25, -0.5);
    const out = new Float64Array(2);
    p.begin(obs, new Float64Array(1));
    obs.fill(0.375); // the caller's own work meanwhile may reuse its buffers
    p.act(obs, new Float64Array(1), out);
    expect(Array.from(out)).toEqual([0.5, -1]);
    await p.close();
    // A stuck call: begin sends nothing while the worker is busy, and that tick's act fails fast.
    const q = await start(gate, 50);
    Atomics.store(gate, 0, 1);
    q.begin(Float32Array.of(0.1, 0.1), new Float64Array(1));
    expect(() => q.act(Float32Array.of(0.1, 0.1), new Float64Array(1), out)).toThrow(
      /not ready within 50 ms/,
    );
    q.begin(Float32Array.of(0.2, 0.2), new Float64Array(1));
    expect(() => q.act(Float32Array.of(0.2, 0.2), new Float64Array(1), out)).toThrow(/still busy/);
    Atomics.store(gate, 0, 0);
    Atomics.notify(gate, 0);
  });

  it("keeps matching requests and answers when the request counter wraps past 2^31", async () => {
    const p = await start(new Int32Array(new SharedArrayBuffer(4)));
    const out = new Float64Array(2);
    p.act(Float32Array.of(0.5, 0.5), new Float64Array(1), out);
    // As after ~50 days at 500 Hz: both counters at the largest Int32, the next request wraps.
    const ctrl = (p as unknown as { buf: { ctrl: Int32Array } }).buf.ctrl;
    Atomics.store(ctrl, 1, 0x7fffffff);
    Atomics.store(ctrl, 0, 0x7fffffff);
    for (const v of [0.125, 0.25, 0.375]) {
      p.act(Float32Array.of(v, -v), new Float64Array(1), out);
      expect(Array.from(out)).toEqual([2 * v, -2 * v]);
    }
  });

  it("with a busy-wait before each due request, answers periodic, early and late requests alike, and closes", async () => {
    policy = await WorkerPolicy.start({
      module,
      options: { gate: new Int32Array(new SharedArrayBuffer(4)) },
      obsDim: 2,
      sigDim: 1,
      actDim: 2,
      timeoutMs: 5000,
      spinMs: 0.5,
      periodMs: 2,
    });
    const out = new Float64Array(2);
    const spinUntil = (ms: number): void => {
      const until = performance.now() + ms;
      while (performance.now() < until) {
        // the control loop's own wait
      }
    };
    // On schedule, back to back (before the window), and after the window closed (the worker sleeps).
    const gaps = [2, 2, 2, 0, 0, 2, 9, 2, 30, 2];
    for (const [k, gap] of gaps.entries()) {
      if (gap > 0 && gap < 10) spinUntil(gap);
      else if (gap > 0) await new Promise((r) => setTimeout(r, gap));
      const v = (k + 1) / 16;
      policy.act(Float32Array.of(v, -v), new Float64Array(1), out);
      expect(Array.from(out)).toEqual([2 * v, -2 * v]);
    }
    await policy.close();
    policy = undefined;
  });

  it("pre-woken, answers the request that follows; a pre-wake with no request after it calls no policy", async () => {
    const calls = new Int32Array(new SharedArrayBuffer(4));
    policy = await WorkerPolicy.start({
      module: counting,
      options: { calls },
      obsDim: 2,
      sigDim: 1,
      actDim: 2,
      timeoutMs: 5000,
      prewakeSpinMs: 1,
    });
    const ctrl = (policy as unknown as { buf: { ctrl: Int32Array } }).buf.ctrl;
    const out = new Float64Array(2);
    policy.prewake();
    policy.act(Float32Array.of(0.25, -0.5), new Float64Array(1), out);
    expect(Array.from(out)).toEqual([0.5, -1]);
    expect(Atomics.load(calls, 0)).toBe(1);
    // Pre-wakes with no request after them (an e-stopped loop): the worker spins out and sleeps again.
    for (let i = 0; i < 5; i++) {
      policy.prewake();
      await sleep(5);
    }
    expect(Atomics.load(calls, 0)).toBe(1);
    expect(Atomics.load(ctrl, 1)).toBe(Atomics.load(ctrl, 0)); // done = request: nothing answered twice
    // Pre-wake, then begin/act, on and off schedule: each answer is its own request's.
    for (let k = 1; k <= 20; k++) {
      if (k % 3 !== 0) policy.prewake();
      if (k % 4 === 0) await sleep(3); // past the pre-wake's spin: the worker went back to sleep
      const v = k / 32;
      policy.begin(Float32Array.of(v, -v), new Float64Array(1));
      policy.act(Float32Array.of(9, 9), new Float64Array(1), out);
      expect(Array.from(out)).toEqual([2 * v, -2 * v]);
    }
    expect(Atomics.load(calls, 0)).toBe(21);
  });

  it("ignores pre-wakes without prewakeSpinMs, and refuses a negative one", async () => {
    const calls = new Int32Array(new SharedArrayBuffer(4));
    policy = await WorkerPolicy.start({
      module: counting,
      options: { calls },
      obsDim: 2,
      sigDim: 1,
      actDim: 2,
      timeoutMs: 5000,
    });
    const out = new Float64Array(2);
    policy.prewake();
    policy.act(Float32Array.of(0.5, 0.25), new Float64Array(1), out);
    expect(Array.from(out)).toEqual([1, 0.5]);
    expect(Atomics.load(calls, 0)).toBe(1);
    await expect(
      WorkerPolicy.start({
        module: counting,
        options: { calls },
        obsDim: 2,
        sigDim: 1,
        actDim: 2,
        timeoutMs: 5,
        prewakeSpinMs: -1,
      }),
    ).rejects.toThrow(/prewakeSpinMs \(-1\) must be >= 0/);
  });

  it("with a trace, stamps every answered request in order; an abandoned one never counts", async () => {
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const trace = createPolicyTrace(8);
    policy = await WorkerPolicy.start({
      module,
      options: { gate },
      obsDim: 2,
      sigDim: 1,
      actDim: 2,
      timeoutMs: 1000,
      prewakeSpinMs: 1,
      trace,
    });
    const out = new Float64Array(2);
    for (let k = 1; k <= 3; k++) {
      policy.prewake();
      policy.act(Float32Array.of(k / 8, 0), new Float64Array(1), out);
    }
    let s = summarizePolicyTrace(trace);
    expect(s.requests).toBe(3);
    for (let k = 1; k <= 3; k++) {
      const [h, w, d, seen] = [TRACE.handed, TRACE.woke, TRACE.done, TRACE.seen].map(
        (f) => trace[k * TRACE_FIELDS + f],
      );
      expect(h).toBeGreaterThan(0);
      expect(w).toBeGreaterThanOrEqual(h);
      expect(d).toBeGreaterThanOrEqual(w);
      expect(seen).toBeGreaterThanOrEqual(d);
    }
    expect(s.handover_us_p50).toBeGreaterThanOrEqual(s.compute_us_p50);
    // Request 4 hangs past the timeout: handed over, never seen, so never summarized.
    Atomics.store(gate, 0, 1);
    expect(() => policy!.act(Float32Array.of(0.5, 0), new Float64Array(1), out)).toThrow(PolicyTimeoutError);
    Atomics.store(gate, 0, 0);
    Atomics.notify(gate, 0);
    s = summarizePolicyTrace(trace);
    expect(s.requests).toBe(3);
    expect(trace[4 * TRACE_FIELDS + TRACE.seen]).toBe(0);
    // Only requests handed over from `since` on.
    expect(summarizePolicyTrace(trace, trace[3 * TRACE_FIELDS + TRACE.handed]).requests).toBe(1);
    expect(summarizePolicyTrace(trace, Infinity).requests).toBe(0);
  });

  it("refuses a busy-wait without a period", async () => {
    await expect(
      WorkerPolicy.start({ module, obsDim: 2, sigDim: 1, actDim: 2, timeoutMs: 5, spinMs: 0.2 }),
    ).rejects.toThrow(/spinMs \(0.2\) needs periodMs \(0\) > 0/);
  });

  it("turns a throw inside the worker into an error on the control thread", async () => {
    const p = await start(new Int32Array(new SharedArrayBuffer(4)));
    expect(() => p.act(Float32Array.of(-1, 0), new Float64Array(1), new Float64Array(2))).toThrow(
      "policy threw in its worker: negative input -1",
    );
  });

  it("fails to start, naming why, when the policy module cannot be built", async () => {
    const missing = new URL("./fixtures/no-such-policy.ts", import.meta.url).href;
    await expect(
      WorkerPolicy.start({ module: missing, obsDim: 2, sigDim: 1, actDim: 2, timeoutMs: 5 }),
    ).rejects.toThrow(/policy worker failed to start: .*no-such-policy/);
  });
});

describe("policy faults with the policy in a worker (wall clock)", () => {
  /**
   * A loop starved of CPU for 100 ms (5 state ages) e-stops on its own stale state before the fault, and the
   * policy is never called again: such a run (a loaded machine, not the behaviour under test) says nothing
   * of the fault, so it is run again, five times at most.
   */
  async function faultRun(...args: Parameters<typeof runWorkerPolicyFault>) {
    let r = await runWorkerPolicyFault(...args);
    for (let i = 1; i < 5 && r.estop_before_fault; i++) r = await runWorkerPolicyFault(...args);
    expect(r.estop_before_fault, "the loop e-stopped before the fault in five runs").toBe(false);
    return r;
  }

  it("latency_spike: the fallback's commands go out while the policy call is still stuck, none unsafe", async () => {
    // The spike (2 s, 4,000 times the 0.5 ms deadline) outlasts the run, whose 150 slots after the injection
    // take 0.3 s: the stuck call cannot answer in time however late the loaded machine runs the control
    // thread, and every command published after the worker entered it counts. A 20 ms spike (10 periods)
    // failed at load 8-16, when the control thread ran a few of the 200 slots: the window held no tick.
    const r = await faultRun("latency_spike", { ticks: 200, injectTick: 50, spikePeriods: 1000 });
    expect(r.reaction_periods, JSON.stringify(r)).not.toBeNull();
    expect(r.reaction_periods as number).toBeLessThanOrEqual(1);
    expect(r.published_while_policy_stuck, JSON.stringify(r)).toBeGreaterThan(0);
    expect(r.monitors).toContain("control_deadline");
    expect(r.unsafe_commands, r.unsafe_reasons.join("; ")).toBe(0);
  });

  it("policy_crash: fallback within one period, no unsafe command", async () => {
    const r = await faultRun("policy_crash", { ticks: 200, injectTick: 100 });
    expect(r.reaction_periods, JSON.stringify(r)).not.toBeNull();
    expect(r.reaction_periods as number).toBeLessThanOrEqual(1);
    expect(r.reacted_with).toBe("fallback");
    expect(r.monitors).toContain("policy");
    expect(r.unsafe_commands, r.unsafe_reasons.join("; ")).toBe(0);
  });
});
