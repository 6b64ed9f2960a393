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
import type { LaunchDescription, NodeDescription, ProcessDescription } from "./description.js";

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

/** The registry key of a node: its executable, or for a composable tether node its plugin ("tether::replay" or "replay"). */
export function registryKey(n: NodeDescription): string {
  return n.role === "composable" ? (n.plugin ?? n.executable).replace(/^tether::/, "") : n.executable;
}

/** A container Tether stands in for: every component loaded into it is a tether node. */
function tetherHostsContainer(desc: LaunchDescription, container: NodeDescription): boolean {
  return desc.nodes.every(
    (n) => n.role !== "composable" || n.container !== container.fullName || n.package === EMBEDDED_PACKAGE,
  );
}

/** Checks every node can run here before anything starts (a package or executable we do not have). */
export function checkRunnable(desc: LaunchDescription, registry: NodeRegistry): void {
  const seen = new Map<string, NodeDescription>();
  for (const n of desc.nodes) {
    if (n.role === "container" && tetherHostsContainer(desc, n)) continue;
    const prev = seen.get(n.fullName);
    if (prev) {
      throw new LaunchError(
        n.file,
        n.line,
        `two nodes are named ${n.fullName} (the other at ${prev.file}:${prev.line})`,
        {
          hint: "give one a different name= or namespace= (ROS 2 would start both and warn; one graph cannot hold both here)",
        },
      );
    }
    seen.set(n.fullName, n);
  }
  for (const n of desc.nodes) {
    if (n.role === "container" && tetherHostsContainer(desc, n)) continue;
    if (n.package !== EMBEDDED_PACKAGE) {
      const what =
        n.role === "composable"
          ? `composable node ${n.fullName} (${n.plugin ?? n.executable} from package "${n.package}")`
          : `node ${n.fullName}`;
      throw new LaunchError(
        n.file,
        n.line,
        `${what}: package "${n.package}" is not available in the embedded runtime`,
        {
          hint: `only pkg="${EMBEDDED_PACKAGE}" nodes and components run in-process; run this file with ros2 launch where ROS 2 and ${n.package} are installed (tether launch --print shows how it resolves)`,
        },
      );
    }
    if (!Object.hasOwn(registry, registryKey(n))) {
      throw new LaunchError(
        n.file,
        n.line,
        `node ${n.fullName}: package "tether" has no ${n.role === "composable" ? "component" : "executable"} "${registryKey(n)}"`,
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
  const timers: NodeJS.Timeout[] = [];

  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      for (const t of timers) clearTimeout(t);
      // Deliver what was already sent (a recorder lagging behind its robot) before the nodes close.
      await options.runtime.settle();
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

  const startNode = async (d: NodeDescription): Promise<void> => {
    const factory = await options.registry[registryKey(d)]();
    const raw = await options.runtime.createNode(d.name, {
      namespace: d.namespace,
      parameters: d.parameters,
      remaps: d.remaps,
    });
    // No silent stops: a callback that throws is logged and reported on /diagnostics (node-faults.ts).
    const node = guardCallbacks(raw, reportNodeFaults(raw, log));
    const handle = await factory(node, d.args);
    nodes.push({ description: d, node, handle });
  };
  const startProcess = (p: ProcessDescription): void => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...p.env };
    for (const k of p.unsetEnv ?? []) delete env[k];
    const child = p.shell
      ? spawn(p.cmd.join(" "), { cwd: p.cwd, env, shell: true, stdio: ["ignore", "pipe", "pipe"] })
      : spawn(p.cmd[0], p.cmd.slice(1), { cwd: p.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
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
    if (p.respawn === true) {
      // respawn: start it again after respawn_delay seconds, unless launch is shutting down.
      void exited.then(() => {
        if (stopping !== undefined) return;
        const timer = setTimeout(
          () => {
            if (stopping === undefined) startProcess(p);
          },
          (p.respawnDelay ?? 0) * 1000,
        );
        timers.push(timer);
      });
    }
  };
  /** <timer period=...>: runs `start` after the delay, unless launch shuts down first. */
  const later = (delay: number | undefined, start: () => void | Promise<void>, what: string): void => {
    if (delay === undefined || delay <= 0) return;
    const timer = setTimeout(() => {
      if (stopping !== undefined) return;
      Promise.resolve(start()).catch((err: unknown) =>
        log(`[ERROR] [launch]: starting ${what} failed: ${(err as Error).message}`),
      );
    }, delay * 1000);
    timers.push(timer);
  };

  try {
    for (const d of desc.nodes) {
      if (d.role === "container") continue; // Tether itself hosts the components (checkRunnable made sure)
      if (d.delay !== undefined && d.delay > 0) later(d.delay, () => startNode(d), d.fullName);
      else await startNode(d);
    }
    for (const p of desc.processes) {
      if (p.delay !== undefined && p.delay > 0) later(p.delay, () => startProcess(p), p.name);
      else startProcess(p);
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
