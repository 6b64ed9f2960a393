/**
 * Starts a TypeScript module in a worker thread. The worker first registers tsx's ESM hooks (a tiny eval
 * bootstrap), then imports `entry`, which works whether the parent runs under tsx, vitest or plain node.
 * If the bootstrap or the import fails, the worker posts `{ id: -1, type: "error", error: { name, message } }`.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

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

/** `entry` is the module's URL (href); `data` joins the worker's `workerData`. */
export function startTsWorker(entry: string, data: Record<string, unknown> = {}): Worker {
  return new Worker(BOOTSTRAP, { eval: true, workerData: { ...data, tsxApi: tsxApiUrl(), entry } });
}
