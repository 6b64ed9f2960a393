import type { Command } from "commander";
import type { GraphSnapshot } from "../../ros/embedded/context.js";
import { parseFloatOption, printJsonLine } from "../run.js";

/** `tether node list --launch <file> [name:=value ...]`: ros2 node list for a launch run by the embedded runtime. */
export function registerNode(program: Command): void {
  const node = program
    .command("node")
    .description(
      "Run one tether node (like ros2 run), or list the nodes of a launch run by the embedded runtime",
    );
  node
    .command("list [args...]")
    .description("Nodes (fully qualified names) of a launch, after it has run for --duration seconds")
    .requiredOption("--launch <file>", "launch XML file to run while observing")
    .option("--duration <sec>", "wall-clock seconds to run", parseFloatOption("--duration"), 1)
    .option("--json", "print one JSON object")
    .action(async (args: string[], opts: { launch: string; duration: number; json?: boolean }) => {
      const { interpretLaunchFile, parseLaunchArgs } = await import("../../launch/interpreter.js");
      const { runLaunchSession, embeddedOf } = await import("../../launch/session.js");
      const { NODE_REGISTRY } = await import("../../nodes/registry.js");
      let graph: GraphSnapshot = { nodes: [], topics: [] };
      await runLaunchSession(interpretLaunchFile(opts.launch, { args: parseLaunchArgs(args) }), {
        ros: false,
        durationSec: opts.duration,
        registry: NODE_REGISTRY,
        requireEmbedded: "node list",
        log: () => {},
        beforeShutdown: (handle) => (graph = embeddedOf(handle).graph()),
      });
      if (opts.json) printJsonLine({ nodes: graph.nodes });
      else process.stdout.write(graph.nodes.map((n) => n.fullName).join("\n") + "\n");
    });

  node
    .command("run <executable> [rosArgs...]")
    .description(
      "Run one tether node (like ros2 run): -p name:=value, -r from:=to, __ns:=/ns, __node:=name; --ros for real ROS 2",
    )
    .option("--ros", "require ROS 2 (rclnodejs) instead of falling back to the embedded runtime")
    .option(
      "--duration <sec>",
      "shut down cleanly after this many wall-clock seconds",
      parseFloatOption("--duration"),
    )
    .allowUnknownOption(true)
    .action(async (executable: string, rosArgs: string[], opts: { ros?: boolean; duration?: number }) => {
      const { runLaunchSession } = await import("../../launch/session.js");
      const { nodeDescriptionFromArgs } = await import("../../launch/single-node.js");
      const { NODE_REGISTRY } = await import("../../nodes/registry.js");
      const desc = nodeDescriptionFromArgs(executable, rosArgs);
      await runLaunchSession(desc, {
        ros: opts.ros === true,
        durationSec: opts.duration,
        registry: NODE_REGISTRY,
      });
    });
}
