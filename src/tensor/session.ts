/**
 * Synchronous ONNX Runtime sessions and device selection.
 *
 * Why the binding: onnxruntime-node's public `InferenceSession.run` wraps a synchronous native call in
 * setImmediate + Promise. The learners' `update(batch)` is synchronous (the trainer, the fine-tuner and the
 * benches call it in tight loops), so the engine calls the native session object the package itself
 * documents as "a simple synchronized inference session object wrap" (dist/binding.d.ts). It also accepts
 * preallocated output tensors, which is how parameters stay in two fixed buffers between updates.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import type * as ort from "onnxruntime-node";
import bindingModule from "onnxruntime-node/dist/binding.js";
import { NotAvailableError, TetherError } from "../core/errors.js";

export type Device = "cpu" | "cuda";

export interface EngineOptions {
  device: Device;
  /** ONNX Runtime intra-op threads. */
  threads: number;
}

/** The native session, as dist/binding.d.ts declares it. */
export interface SyncSession {
  run(
    feeds: Record<string, ort.Tensor>,
    fetches: Record<string, ort.Tensor | null>,
    options?: Record<string, unknown>,
  ): Record<string, ort.Tensor>;
  dispose(): void;
}

const CUDA_LIBRARY = "libonnxruntime_providers_cuda.so";

/** The folder holding onnxruntime_binding.node and, in a CUDA install, the CUDA provider library. */
function bindingDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve("onnxruntime-node/package.json"));
  return join(pkg, "bin", "napi-v6", process.platform, process.arch);
}

/** Loads model bytes into a synchronous session on `options.device`. */
export function createSyncSession(bytes: Uint8Array, options: EngineOptions): SyncSession {
  bindingModule.initOrt();
  const session = new bindingModule.binding.InferenceSession();
  try {
    session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, {
      executionProviders: [options.device],
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
      executionMode: "sequential",
      // ORT's intra-op threads spin while waiting for work by default. With other processes on the cores
      // (a shared machine, bench quality's parallel cells) the spinning only burns them: IQL at 2x256 on
      // two threads went from 22 to 11 CPU-ms per update with spinning off, wall 52 -> 27 ms.
      extra: { session: { intra_op: { allow_spinning: "0" } } },
      // Per-node timings for engine work (docs/benchmarks.md): TETHER_ORT_PROFILE=<prefix> writes
      // <prefix>_<date>.json per session, flushed when the session is disposed.
      ...(process.env.TETHER_ORT_PROFILE
        ? { enableProfiling: true, profileFilePrefix: process.env.TETHER_ORT_PROFILE }
        : {}),
    });
  } catch (err) {
    if (options.device === "cuda")
      throw new NotAvailableError("ONNX Runtime CUDA provider", (err as Error).message, {
        cause: err,
        hint: cudaHint(),
      });
    throw err;
  }
  if (!process.env.TETHER_ORT_PROFILE) return session as unknown as SyncSession;
  return {
    run: (feeds, fetches, runOptions) => session.run(feeds, fetches, runOptions ?? {}),
    dispose: () => {
      session.endProfiling();
      session.dispose();
    },
  };
}

function cudaHint(): string {
  return (
    "install onnxruntime-node's CUDA 12 binaries: npm install onnxruntime-node --onnxruntime-node-install=cuda12 " +
    "(the project's .npmrc skips them so npm ci works offline), or use --device cpu"
  );
}

/** Why CUDA is or is not usable; never guesses: a present library is tried with a real session. */
export function probeCuda(): { available: boolean; reason: string } {
  const lib = join(bindingDir(), CUDA_LIBRARY);
  if (!existsSync(lib))
    return {
      available: false,
      reason: `no ${CUDA_LIBRARY} beside onnxruntime-node's binding (CPU-only install)`,
    };
  return { available: true, reason: `${CUDA_LIBRARY} is installed` };
}

export interface ResolvedDevice extends EngineOptions {
  /** One line for the log: which device and thread count, and why. */
  description: string;
}

/**
 * `--device` / `--threads` to engine options. Default: CUDA when its provider is installed, else CPU
 * with `cores` threads. An explicit `cuda` without the provider fails here, before any data is read.
 */
export function resolveDevice(
  requested: { device?: Device; threads?: number },
  cores: number,
): ResolvedDevice {
  if (requested.threads !== undefined && !(Number.isInteger(requested.threads) && requested.threads >= 1))
    throw new TetherError("CLI", `--threads must be a positive integer, got ${requested.threads}`);
  const cuda = probeCuda();
  let device: Device;
  let why: string;
  if (requested.device === "cuda") {
    if (!cuda.available)
      throw new NotAvailableError("ONNX Runtime CUDA provider", cuda.reason, { hint: cudaHint() });
    device = "cuda";
    why = "--device cuda";
  } else if (requested.device === "cpu") {
    device = "cpu";
    why = "--device cpu";
  } else {
    device = cuda.available ? "cuda" : "cpu";
    why = cuda.available ? cuda.reason : `CUDA not available: ${cuda.reason}`;
  }
  const threads = requested.threads ?? cores;
  const threadWhy = requested.threads === undefined ? `all ${cores} cores` : "--threads";
  return {
    device,
    threads,
    description: `engine: onnxruntime-${device}, ${threads} thread${threads === 1 ? "" : "s"} (${why}; ${threadWhy})`,
  };
}

let current: EngineOptions | undefined;

/** The options every learner's sessions use: set once by `tether train`, else CPU on all cores. */
export function engineOptions(): EngineOptions {
  return current ?? { device: "cpu", threads: 0 };
}

export function configureEngine(options: EngineOptions): void {
  current = { ...options };
}
