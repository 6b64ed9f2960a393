import type { Command } from "commander";
import { parseFloatOption } from "../run.js";

interface LaunchOptions {
  print?: boolean;
  ros?: boolean;
  duration?: number;
}

/**
 * `tether launch <file> [name:=value ...] [--print] [--ros] [--duration <sec>]`: runs ROS 2 launch XML.
 * pkg="tether" nodes run in-process (embedded runtime, or rclnodejs with ROS 2), <executable>s as child
 * processes; Ctrl-C shuts everything down. --print shows the resolved description as JSON and runs nothing.
 */
export function registerLaunch(program: Command): void {
  program
    .command("launch <file> [args...]")
    .description(
      "Run a ROS 2 launch XML file (name:=value arguments); --print shows the resolved description as JSON",
    )
    .option(
      "--print",
      "print the resolved launch description (nodes, namespaces, parameters, remaps, processes) as JSON; run nothing",
    )
    .option("--ros", "require ROS 2 (rclnodejs); without it, fail instead of using the embedded runtime")
    .option(
      "--duration <sec>",
      "shut down cleanly after this many wall-clock seconds",
      parseFloatOption("--duration"),
    )
    .action(async (file: string, args: string[], opts: LaunchOptions) => {
      const { interpretLaunchFile, parseLaunchArgs } = await import("../../launch/interpreter.js");
      const desc = interpretLaunchFile(file, { args: parseLaunchArgs(args) });
      if (opts.print) {
        // JSON has no inf or nan (a parameter value=".inf" is one): print them as YAML spells them.
        const finite = (_key: string, v: unknown): unknown =>
          typeof v === "number" && !Number.isFinite(v)
            ? Number.isNaN(v)
              ? ".nan"
              : v > 0
                ? ".inf"
                : "-.inf"
            : v;
        process.stdout.write(JSON.stringify(desc, finite, 2) + "\n");
        return;
      }
      const { runLaunchSession } = await import("../../launch/session.js");
      const { NODE_REGISTRY } = await import("../../nodes/registry.js");
      await runLaunchSession(desc, {
        ros: opts.ros === true,
        durationSec: opts.duration,
        registry: NODE_REGISTRY,
      });
    });
}
