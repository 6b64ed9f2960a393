/**
 * Picks the tensor backend for training: the best available of tfjs-node-gpu (CUDA), tfjs-node (native
 * libtensorflow), wasm (XNNPACK, SIMD) and cpu (plain JS). The two native packages are no longer dependencies
 * (their install downloads libtensorflow, which answers 403: README, "Why the tensor engine changed"); where
 * they are absent, as here, we say why and fall through.
 *
 * wasm threads: tfjs-backend-wasm 4.22 disables its threaded build under Node (tfjs issue #3830); forcing
 * it fails because Node's worker_threads rejects the `blob:` worker URL. So wasm runs single-threaded here.
 */
import * as tf from "@tensorflow/tfjs-core";
import { NotAvailableError, TetherError } from "../core/errors.js";

export const BACKEND_NAMES = ["tfjs-node-gpu", "tfjs-node", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface SelectedBackend {
  name: BackendName;
  tf: typeof tf;
  /** Why each better backend was skipped (empty when the first choice worked or one was forced). */
  skipped: { name: BackendName; reason: string }[];
}

export function isBackendName(value: string): value is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(value);
}

let active: SelectedBackend | undefined;

/**
 * Activates a backend. With `preferred` that backend is required (NotAvailableError if it cannot start);
 * without it the best available one is used. Idempotent: a second call with the same result is free.
 */
export async function selectBackend(preferred?: BackendName): Promise<SelectedBackend> {
  if (preferred !== undefined && !isBackendName(preferred)) {
    throw new TetherError(
      "CLI",
      `--backend must be one of ${BACKEND_NAMES.join(", ")}, got "${String(preferred)}"`,
    );
  }
  if (active && (preferred === undefined || active.name === preferred)) return active;
  const candidates: BackendName[] = preferred ? [preferred] : [...BACKEND_NAMES];
  const skipped: { name: BackendName; reason: string }[] = [];
  for (const name of candidates) {
    try {
      await activate(name);
      active = { name, tf, skipped };
      return active;
    } catch (err) {
      const notInstalled = (err as { code?: string } | undefined)?.code === "ERR_MODULE_NOT_FOUND";
      const reason = notInstalled
        ? "not installed (optional dependency; its install downloads libtensorflow)"
        : err instanceof Error
          ? err.message.split("\n")[0]
          : String(err);
      if (preferred)
        throw new NotAvailableError(`backend ${name}`, reason, { cause: err, hint: backendHint(name) });
      skipped.push({ name, reason });
    }
  }
  throw new NotAvailableError("tensor backend", skipped.map((s) => `${s.name}: ${s.reason}`).join("; "));
}

/** One line for the log: which backend runs and why the better ones did not. */
export function describeBackend(selected: SelectedBackend): string {
  const why = selected.skipped.map((s) => `${s.name} skipped: ${s.reason}`).join("; ");
  return `tensor backend: ${selected.name}${why ? ` (${why})` : ""}`;
}

async function activate(name: BackendName): Promise<void> {
  if (name === "tfjs-node-gpu" || name === "tfjs-node") {
    // Optional dependency; the specifier is a variable so TypeScript does not require its types.
    const specifier = `@tensorflow/${name}`;
    await import(specifier);
    // The native packages register the "tensorflow" backend on import.
    if (!(await tf.setBackend("tensorflow")))
      throw new Error(`${specifier} loaded but its backend did not start`);
    return;
  }
  if (name === "wasm") await import("@tensorflow/tfjs-backend-wasm");
  else await import("@tensorflow/tfjs-backend-cpu");
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") returned false`);
  await tf.ready();
  if (name === "wasm" && process.env.TETHER_STOCK_SLICE !== "1") {
    const { installFastSlice } = await import("./wasm-kernels.js");
    installFastSlice();
  }
}

function backendHint(name: BackendName): string {
  if (name === "tfjs-node" || name === "tfjs-node-gpu") {
    return `install @tensorflow/${name} where its install script can download libtensorflow, or use --backend wasm`;
  }
  return "use --backend wasm or --backend cpu";
}
