/**
 * Starts a TypeScript module in a worker thread. The worker registers tsx's ESM hooks first (a tiny eval
 * bootstrap) and then imports the entry, which works whether the parent runs under tsx, vitest or plain
 * node. If the import fails, the worker posts `{ id: -1, type: "error", error: { name, message } }`.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker, type TransferListItem } from "node:worker_threads";
import { TetherError } from "./errors.js";

/** A worker failed or reported an error; carries the worker-side error code and message. */
export class WorkerError extends TetherError {
  constructor(
    message: string,
    readonly workerCode?: string,
    options?: { cause?: unknown },
  ) {
    super(workerCode ?? "WORKER", message, { workerCode }, options);
  }
}

function tsxApiUrl(): string {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve("tsx/package.json");
  const pkg = require(pkgFile) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(join(dirname(pkgFile), pkg.exports["./esm/api"].import.default)).href;
}

const BOOTSTRAP = `
const { workerData, parentPort } = require("node:worker_threads");
import(workerData.tsxApi)
  .then((api) => { api.register(); return import(workerData.entry); })
  .catch((e) => parentPort.postMessage({ id: -1, type: "error", error: { name: e.name, message: String((e && e.stack) || e) } }));
`;

/** `entry` is the module's URL (e.g. `new URL("./my-worker.ts", import.meta.url)`). */
export function startTsWorker(
  entry: URL,
  data: Record<string, unknown>,
  transferList: TransferListItem[] = [],
): Worker {
  return new Worker(BOOTSTRAP, {
    eval: true,
    workerData: { ...data, tsxApi: tsxApiUrl(), entry: entry.href },
    transferList,
  });
}
