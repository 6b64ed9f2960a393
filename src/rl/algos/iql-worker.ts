/**
 * Worker thread of the parallel IQL learner (iql-parallel.ts). Role "q" owns the twin Q networks and their
 * targets; role "value-actor" owns V and the actor. Each update, a worker first computes what the other
 * needs from the pre-update parameters (q: min target-Q(s, a); value-actor: V(s')), hands it over through
 * shared memory, then runs its half of the update with IqlLearner's own step functions.
 */
import * as tf from "@tensorflow/tfjs-core";
import { workerData, parentPort } from "node:worker_threads";
import { WorkerError } from "../../core/ts-worker.js";
import { Rng } from "../../core/rng.js";
import { selectBackend } from "../backend.js";
import { createWeightedActor } from "../networks/weighted-actor.js";
import { ADAM_DEFAULTS } from "../networks/adam.js";
import { TwinQ } from "../networks/critic.js";
import { ValueNet } from "../networks/value.js";
import { serveSync, type Handled } from "../sync-channel.js";
import { cpuSince, threadCpu } from "../thread-cpu.js";
import { updateTwinQ, updateValueAndActor } from "./iql-tfjs.js";
import {
  ABORTED,
  NEXT_V_READY,
  Q_TARGET_READY,
  StepMemory,
  type IqlWorkerData,
  type WorkerRequest,
  type WorkerTimings,
} from "./iql-parallel-shared.js";
import {
  actWith,
  batchTensors,
  completeDims,
  exportActor,
  loadModule,
  readMetrics,
  saveModule,
  type StateDict,
} from "./learner.js";

const data = workerData as IqlWorkerData;
await selectBackend(data.backend);
const dims = completeDims(data.dims);
const config = data.config;
const adam = { ...ADAM_DEFAULTS, lr: config.lr };
const { handoff } = data;

let memory: StepMemory | undefined;
let timings: WorkerTimings = { updates: 0, phases: {}, waitMs: 0 };
let windowStart = threadCpu();
const addTime = (phase: "v" | "actor" | "q", ms: number): void => {
  timings.phases[phase] = (timings.phases[phase] ?? 0) + ms;
};

function publish(slot: number, seq: number): void {
  Atomics.store(handoff, slot, seq);
  Atomics.notify(handoff, slot);
}

/** Blocks until the other worker published step `seq` in `slot`; returns the ms spent waiting. */
function awaitPeer(slot: number, seq: number): number {
  const t = performance.now();
  for (;;) {
    const got = Atomics.load(handoff, slot);
    if (got === seq) return performance.now() - t;
    if (got === ABORTED) throw new WorkerError("the other IQL worker failed during this update");
    Atomics.wait(handoff, slot, got);
  }
}

function takeMemory(req: Extract<WorkerRequest, { type: "update" }>): StepMemory {
  if (req.memory && req.capacity) memory = new StepMemory(req.memory, req.capacity, dims.obsDim, dims.actDim);
  if (!memory) throw new WorkerError("update before the step memory was sent");
  return memory;
}

interface Role {
  update(req: Extract<WorkerRequest, { type: "update" }>): Record<string, number>;
  save(state: StateDict): void;
  load(state: StateDict): void;
  handle?(req: WorkerRequest): Handled | undefined;
  dispose(): void;
}

function qRole(): Role {
  const q = new TwinQ(dims.obsDim, dims.actDim, config.hidden, new Rng(data.seeds[0]), adam);
  return {
    update(req) {
      const mem = takeMemory(req);
      const n = req.size;
      return tf.tidy(() => {
        const t0 = performance.now();
        const b = batchTensors(mem.read(n), dims, config.discount);
        const qTarget = q.targetMin(b.obs, b.act);
        mem.qTarget.set(qTarget.dataSync());
        publish(Q_TARGET_READY, req.seq);
        const t1 = performance.now();
        timings.waitMs += awaitPeer(NEXT_V_READY, req.seq);
        const t2 = performance.now();
        const nextV = tf.tensor2d(mem.nextV.slice(0, n), [n, 1]);
        const critic = updateTwinQ(q, b, nextV, config);
        const out = readMetrics({ "loss/critic": critic, "values/q": tf.mean(qTarget) });
        addTime("q", t1 - t0 + performance.now() - t2);
        return out;
      });
    },
    save: (state) => saveModule(state, "q", q, { target: q.target }),
    load: (state) => loadModule(state, "q", q, { target: q.target }),
    dispose: () => q.dispose(),
  };
}

function valueActorRole(): Role {
  const v = new ValueNet(dims.obsDim, config.hidden, new Rng(data.seeds[0]), adam);
  const actor = createWeightedActor(config, dims.obsDim, dims.actDim, new Rng(data.seeds[1]), adam);
  return {
    update(req) {
      const mem = takeMemory(req);
      const n = req.size;
      return tf.tidy(() => {
        let mark = performance.now();
        const b = batchTensors(mem.read(n), dims, config.discount);
        mem.nextV.set(v.evaluate(b.nextObs).dataSync());
        publish(NEXT_V_READY, req.seq);
        // The forward passes do not need min target-Q: run them while the q worker computes it.
        const vf = v.forward(b.obs);
        let vMs = performance.now() - mark;
        mark = performance.now();
        const pi = actor.forward(b.obs);
        addTime("actor", performance.now() - mark);
        timings.waitMs += awaitPeer(Q_TARGET_READY, req.seq);
        mark = performance.now();
        const qTarget = tf.tensor2d(mem.qTarget.slice(0, n), [n, 1]);
        const va = updateValueAndActor(
          v,
          actor,
          b,
          qTarget,
          config,
          (phase) => {
            const now = performance.now();
            if (phase === "v") vMs += now - mark;
            else addTime(phase, now - mark);
            mark = now;
          },
          { vf, pi },
        );
        addTime("v", vMs);
        return readMetrics({
          "loss/value": va.valueLoss,
          "loss/actor": va.actorLoss,
          "values/v": va.vMean,
          "values/adv_weight": va.advWeight,
          "values/adv_ess": va.advEss,
        });
      });
    },
    save(state) {
      saveModule(state, "v", v);
      saveModule(state, "actor", actor.net);
    },
    load(state) {
      actor.checkLoadable(state.arrays["actor/params"]);
      loadModule(state, "v", v);
      loadModule(state, "actor", actor.net);
    },
    handle(req) {
      if (req.type === "act") return { value: actWith(dims, req.observations, (obs) => actor.act(obs)) };
      if (req.type === "actorWeights") return { value: exportActor(dims, actor.net) };
      return undefined;
    },
    dispose() {
      v.dispose();
      actor.net.dispose();
    },
  };
}

const role = data.role === "q" ? qRole() : valueActorRole();
const ownSlot = data.role === "q" ? Q_TARGET_READY : NEXT_V_READY;

function handle(message: unknown): Handled {
  const req = message as WorkerRequest;
  switch (req.type) {
    case "update":
      try {
        const metrics = role.update(req);
        timings.updates++;
        return { value: metrics };
      } catch (err) {
        // Never leave the other worker waiting for a hand-over that will not come.
        publish(ownSlot, ABORTED);
        throw err;
      }
    case "stateDict": {
      const state: StateDict = { algo: "iql", step: 0, arrays: {}, scalars: {} };
      role.save(state);
      return { value: state };
    }
    case "loadStateDict":
      role.load(req.state);
      return { value: null };
    case "liveTensors":
      return { value: tf.memory().numTensors };
    case "timings": {
      const now = threadCpu();
      const out: WorkerTimings = { ...timings, thread: cpuSince(windowStart, now) };
      timings = { updates: 0, phases: {}, waitMs: 0 };
      windowStart = now;
      return { value: out };
    }
    case "exit":
      role.dispose();
      return { value: tf.memory().numTensors, last: true };
    default: {
      const handled = role.handle?.(req);
      if (!handled) throw new WorkerError(`IQL ${data.role} worker cannot answer "${req.type}"`);
      return handled;
    }
  }
}

parentPort!.postMessage({ type: "ready" });
serveSync(data.port, data.doorbell, handle);
