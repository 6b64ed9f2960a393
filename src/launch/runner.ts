/**
 * Runs a LaunchDescription: pkg="tether" nodes composed in-process from a node registry (on the runtime
 * chosen by selectRuntime), <executable>s as child processes with prefixed output. shutdown() closes the
 * nodes, sends SIGINT to the processes (SIGTERM, then SIGKILL after a timeout) and waits for them.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { LaunchError } from "../core/errors.js";
import type { Node, NodeFactory, NodeHandle } from "../ros/node.js";
import { guardCallbacks } from "../ros/callback-guard.js";
import { reportNodeFaults } from "./node-faults.js";
import type { Runtime } from "../ros/runtime.js";
import type { LaunchDescription, NodeDescription } from "./description.js";

/** Executable name -> lazily loaded node factory. */
export type NodeRegistry = Readonly<Record<string, () => Promise<NodeFactory>>>;

export const EMBEDDED_PACKAGE = "tether";

export interface RunningProcess {
  name: string;
  pid: number | undefined;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface LaunchHandle {
  readonly runtime: Runtime;
  readonly nodes: { description: NodeDescription; node: Node; handle: NodeHandle | void }[];
  readonly processes: RunningProcess[];
  shutdown(): Promise<void>;
}

export interface StartLaunchOptions {
  runtime: Runtime;
  registry: NodeRegistry;
  /** Lines from launch itself and child process output (default: stderr). */
  log?: (line: string) => void;
  /** Grace period between SIGINT, SIGTERM and SIGKILL for child processes. */
  killTimeoutMs?: number;
}

/** Checks every node can run here before anything starts (a package or executable we do not have). */
export function checkRunnable(desc: LaunchDescription, registry: NodeRegistry): void {
  for (const n of desc.nodes) {
    if (n.package !== EMBEDDED_PACKAGE) {
      throw new LaunchError(
        n.file,
        n.line,
        `node ${n.fullName}: package "${n.package}" is not available in the embedded runtime`,
        {
          hint: `only pkg="${EMBEDDED_PACKAGE}" nodes run in-process; run this file with ros2 launch where ROS 2 and ${n.package} are installed`,
        },
      );
    }
    if (!Object.hasOwn(registry, n.executable)) {
      throw new LaunchError(
        n.file,
        n.line,
        `node ${n.fullName}: package "tether" has no executable "${n.executable}"`,
        {
          hint: `tether node executables: ${Object.keys(registry).sort().join(", ")}`,
        },
      );
    }
  }
}

function pipeLines(stream: NodeJS.ReadableStream | null, prefix: string, log: (line: string) => void): void {
  if (!stream) return;
  let buf = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      log(`${prefix} ${buf.slice(0, i)}`);
      buf = buf.slice(i + 1);
    }
  });
  stream.on("end", () => {
    if (buf) log(`${prefix} ${buf}`);
  });
}

export async function startLaunch(
  desc: LaunchDescription,
  options: StartLaunchOptions,
): Promise<LaunchHandle> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const killTimeoutMs = options.killTimeoutMs ?? 5000;
  checkRunnable(desc, options.registry);
  const nodes: LaunchHandle["nodes"] = [];
  const processes: RunningProcess[] = [];
  let stopping: Promise<void> | undefined;

  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      for (const n of [...nodes].reverse()) {
        try {
          await n.handle?.close?.();
        } catch (err) {
          log(`[ERROR] [launch]: closing ${n.description.fullName} failed: ${(err as Error).message}`);
        }
        n.node.destroy();
      }
      await Promise.all(processes.map((p) => stopProcess(p, killTimeoutMs, log)));
      options.runtime.shutdown();
    })();
    return stopping;
  };

  try {
    for (const d of desc.nodes) {
      const factory = await options.registry[d.executable]();
      const raw = await options.runtime.createNode(d.name, {
        namespace: d.namespace,
        parameters: d.parameters,
        remaps: d.remaps,
      });
      // No silent stops: a callback that throws is logged and reported on /diagnostics (node-faults.ts).
      const node = guardCallbacks(raw, reportNodeFaults(raw, log));
      const handle = await factory(node, d.args);
      nodes.push({ description: d, node, handle });
    }
    for (const p of desc.processes) {
      const child = spawn(p.cmd[0], p.cmd.slice(1), {
        cwd: p.cwd,
        env: { ...process.env, ...p.env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const tag = `[${p.name}-${child.pid ?? "?"}]`;
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        child.on("error", (err) => {
          log(`[ERROR] [launch]: ${p.file}:${p.line}: cannot start "${p.cmd[0]}": ${err.message}`);
          resolve({ code: null, signal: null });
        });
        child.on("exit", (code, signal) => {
          log(
            `[INFO] [launch]: process ${tag} ${code === 0 ? "has finished cleanly" : `exited (code ${code}, signal ${signal})`}`,
          );
          resolve({ code, signal });
        });
      });
      pipeLines(child.stdout, tag, log);
      pipeLines(child.stderr, tag, log);
      log(`[INFO] [launch]: process started with pid [${child.pid ?? "?"}]: ${p.cmd.join(" ")}`);
      processes.push({ name: p.name, pid: child.pid, child, exited });
    }
  } catch (err) {
    await shutdown();
    throw err;
  }
  return { runtime: options.runtime, nodes, processes, shutdown };
}

async function stopProcess(p: RunningProcess, timeoutMs: number, log: (l: string) => void): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null || p.pid === undefined) {
    await p.exited;
    return;
  }
  const wait = (ms: number) =>
    Promise.race([
      p.exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
    ]);
  p.child.kill("SIGINT");
  if (await wait(timeoutMs)) return;
  log(`[WARN] [launch]: ${p.name} did not exit after SIGINT; sending SIGTERM`);
  p.child.kill("SIGTERM");
  if (await wait(timeoutMs)) return;
  log(`[ERROR] [launch]: ${p.name} did not exit after SIGTERM; sending SIGKILL`);
  p.child.kill("SIGKILL");
  await p.exited;
}
