/**
 * Worker thread body for VectorEnv and collectEpisodes: hosts a few MujocoEnvs and answers one request at a
 * time. Started by src/sim/worker-pool.ts (which registers tsx first so this TypeScript file loads).
 */
import { parentPort, workerData } from "node:worker_threads";
import { TetherError } from "../core/errors.js";
import { controllerFactoryFor, episodeBuffers, runEpisode } from "./episode-runner.js";
import { MujocoEnv } from "./mujoco-env.js";
import { isCompiledWasm, provideMujocoWasm } from "./mujoco.js";
import type { WorkerRequest, WorkerResponse } from "./worker-protocol.js";

const port = parentPort;
if (!port) throw new Error("vector-worker.ts must run in a worker thread");
const shared = (workerData as { mujocoWasm?: unknown } | null)?.mujocoWasm;
if (isCompiledWasm(shared)) provideMujocoWasm(shared);

let envs: MujocoEnv[] = [];
let episodeEnv: { dir: string; env: MujocoEnv } | undefined;
const factories = new Map<string, Awaited<ReturnType<typeof controllerFactoryFor>>>();

function send(msg: WorkerResponse, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

function batchState(): { observations: Float32Array; signals: Float64Array } {
  const obsDim = envs[0].obsDim;
  const sigDim = envs[0].task.layout.size;
  const observations = new Float32Array(envs.length * obsDim);
  const signals = new Float64Array(envs.length * sigDim);
  envs.forEach((env, i) => {
    env.observe(observations.subarray(i * obsDim, (i + 1) * obsDim));
    signals.set(env.signals(), i * sigDim);
  });
  return { observations, signals };
}

async function handle(req: WorkerRequest): Promise<void> {
  switch (req.type) {
    case "init": {
      envs.forEach((e) => e.close());
      envs = [];
      for (const seed of req.envSeeds) envs.push(await MujocoEnv.create(req.robotDir, { seed }));
      const e = envs[0];
      send({ id: req.id, type: "ready", obsDim: e.obsDim, actDim: e.actDim, sigDim: e.task.layout.size });
      return;
    }
    case "reset": {
      envs.forEach((env, i) => env.reset(req.seeds[i] ?? undefined));
      const s = batchState();
      send({ id: req.id, type: "state", ...s }, [
        s.observations.buffer as ArrayBuffer,
        s.signals.buffer as ArrayBuffer,
      ]);
      return;
    }
    case "step": {
      const { obsDim, actDim } = envs[0];
      const sigDim = envs[0].task.layout.size;
      const n = envs.length;
      const out = {
        observations: new Float32Array(n * obsDim),
        signals: new Float64Array(n * sigDim),
        rewards: new Float64Array(n),
        terminated: new Uint8Array(n),
        truncated: new Uint8Array(n),
        finalObservations: new Float32Array(n * obsDim),
      };
      for (let i = 0; i < n; i++) {
        const r = envs[i].step(req.actions.subarray(i * actDim, (i + 1) * actDim));
        out.rewards[i] = r.reward;
        out.terminated[i] = r.terminated ? 1 : 0;
        out.truncated[i] = r.truncated ? 1 : 0;
        out.finalObservations.set(r.observation, i * obsDim);
        if (req.autoReset && (r.terminated || r.truncated)) envs[i].reset();
        envs[i].observe(out.observations.subarray(i * obsDim, (i + 1) * obsDim));
        out.signals.set(
          req.autoReset && (r.terminated || r.truncated) ? envs[i].signals() : r.info.signals,
          i * sigDim,
        );
      }
      const transfer = [
        out.observations,
        out.signals,
        out.rewards,
        out.terminated,
        out.truncated,
        out.finalObservations,
      ].map((a) => a.buffer as ArrayBuffer);
      send({ id: req.id, type: "stepped", ...out }, transfer);
      return;
    }
    case "episodes": {
      if (!episodeEnv || episodeEnv.dir !== req.robotDir) {
        episodeEnv?.env.close();
        episodeEnv = { dir: req.robotDir, env: await MujocoEnv.create(req.robotDir) };
      }
      const key = `${req.robotDir}\n${JSON.stringify(req.controller ?? null)}`;
      let makeController = factories.get(key);
      if (!makeController) {
        makeController = await controllerFactoryFor(req.robotDir, req.controller);
        factories.set(key, makeController);
      }
      for (const job of req.jobs) {
        const episode = runEpisode(episodeEnv.env, makeController(job), job, req.includeSignals);
        send({ id: req.id, type: "episode", episode }, episodeBuffers(episode));
      }
      send({ id: req.id, type: "done" });
      return;
    }
    case "close": {
      envs.forEach((e) => e.close());
      episodeEnv?.env.close();
      envs = [];
      episodeEnv = undefined;
      send({ id: req.id, type: "done" });
      return;
    }
  }
}

// Requests are handled strictly one after another.
let queue = Promise.resolve();
port.on("message", (req: WorkerRequest) => {
  queue = queue.then(() =>
    handle(req).catch((err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      send({
        id: req.id,
        type: "error",
        error: { name: e.name, code: err instanceof TetherError ? err.code : undefined, message: e.message },
      });
    }),
  );
});
send({ id: -1, type: "done" });
