/** Launch a file, run something alongside for a while, shut down cleanly: `tether launch` and the introspection commands. */
import { NotAvailableError } from "../core/errors.js";
import type { EmbeddedContext } from "../ros/embedded/context.js";
import { selectRuntime } from "../ros/runtime.js";
import type { LaunchDescription } from "./description.js";
import { startLaunch, type LaunchHandle, type NodeRegistry } from "./runner.js";

export interface SessionOptions {
  ros: boolean;
  /** Wall seconds to run; undefined = until SIGINT/SIGTERM. */
  durationSec?: number;
  registry: NodeRegistry;
  /** Called once everything is started; the session ends at the duration or signal either way. */
  during?: (handle: LaunchHandle, stop: () => void) => void | Promise<void>;
  /** Called after the duration/signal/stop, before anything is shut down (snapshot the graph here). */
  beforeShutdown?: (handle: LaunchHandle) => void;
  /** The introspection commands need the embedded graph. */
  requireEmbedded?: string;
  log?: (line: string) => void;
}

export async function runLaunchSession(
  desc: LaunchDescription,
  options: SessionOptions,
): Promise<LaunchHandle> {
  const runtime = await selectRuntime({
    ros: options.ros,
    embeddedOnly: options.requireEmbedded !== undefined && !options.ros,
  });
  if (options.requireEmbedded !== undefined && runtime.kind !== "embedded") {
    runtime.shutdown();
    throw new NotAvailableError(
      `tether ${options.requireEmbedded} under ROS 2`,
      "the embedded graph is not used when ROS 2 runs the nodes",
      {
        hint: `use ros2 ${options.requireEmbedded} instead`,
      },
    );
  }
  const handle = await startLaunch(desc, { runtime, registry: options.registry, log: options.log });
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  // The handler stays until shutdown is over: under ros2 launch, Ctrl-C reaches a node twice (the
  // terminal's SIGINT to the process group, then launch's own), and the second must not kill it mid-close.
  // A SIGTERM during shutdown is an escalation (ros2 launch sends one when a node is slow to stop): exit.
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled) {
      if (sig !== "SIGTERM") return;
      log("[ERROR] [launch]: SIGTERM while shutting down: exiting now");
      process.exit(143);
    }
    signalled = true;
    log(`[WARN] [launch]: ${sig} received, shutting down`);
    finish();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const timer =
    options.durationSec !== undefined ? setTimeout(finish, options.durationSec * 1000) : undefined;
  try {
    await options.during?.(handle, finish);
    await finished;
    options.beforeShutdown?.(handle);
  } finally {
    if (timer) clearTimeout(timer);
    try {
      await handle.shutdown();
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
  return handle;
}

export function embeddedOf(handle: LaunchHandle): EmbeddedContext {
  const ctx = handle.runtime.embedded;
  if (!ctx) throw new NotAvailableError("the embedded graph", "nodes run under ROS 2 (rclnodejs)");
  return ctx;
}
