import type { Command } from "commander";
import { parseFloatOption, printJsonLine } from "../run.js";

/**
 * `tether replay <bag-or-dataset> [--rate r] [--loop] [--topics ...]`: publishes a log on its topics with
 * its original timing and /clock, like `ros2 bag play`. Under ROS 2 (rclnodejs) the messages reach the
 * real graph; without it they go to the embedded runtime of this process, which the summary reports.
 * To feed other Tether nodes in-process, use launch/replay.launch.xml in a launch file with them.
 */
export function registerReplay(program: Command): void {
  program
    .command("replay <bag-or-dataset>")
    .description(
      "Publish a bag (rosbag2, MCAP run log, ROS 1 onto ROS 2 types) or dataset on its topics with original timing and /clock (like ros2 bag play)",
    )
    .option("--rate <r>", "playback speed factor", parseFloatOption("--rate"), 1)
    .option("--loop", "start over at the end (Ctrl-C stops)")
    .option("--topics <topics...>", "only these topics")
    .option("--no-clock", "do not publish /clock")
    .option("--ros", "require ROS 2 (rclnodejs); without it the embedded runtime is used")
    .option("--json", "print a summary as one JSON object")
    .action(
      async (
        path: string,
        opts: {
          rate: number;
          loop?: boolean;
          topics?: string[];
          clock: boolean;
          ros?: boolean;
          json?: boolean;
        },
      ) => {
        const { selectRuntime } = await import("../../ros/runtime.js");
        const { startReplay } = await import("../../nodes/replay/replay-node.js");
        const runtime = await selectRuntime({ ros: opts.ros === true });
        const node = await runtime.createNode("replay");
        const handle = await startReplay(node, {
          path,
          rate: opts.rate,
          loop: opts.loop,
          topics: opts.topics,
          publishClock: opts.clock,
        });
        const onSigint = () => void handle.stop();
        process.once("SIGINT", onSigint);
        const started = performance.now();
        try {
          const stats = await handle.done;
          const summary = {
            path,
            kind: handle.source.kind,
            runtime: runtime.kind,
            rate: opts.rate,
            published: stats.published,
            per_topic: stats.perTopic,
            clock_messages: stats.clockMessages,
            loops: stats.loops,
            skipped: handle.skipped,
            wall_seconds: (performance.now() - started) / 1000,
            max_late_ms: stats.maxLateMs,
          };
          if (opts.json) printJsonLine(summary);
          else {
            process.stdout.write(
              `replayed ${stats.published} messages from ${path} on ${Object.keys(stats.perTopic).length} topics ` +
                `(${stats.clockMessages} /clock) in ${summary.wall_seconds.toFixed(2)} s on the ${runtime.kind} runtime\n`,
            );
          }
        } finally {
          process.removeListener("SIGINT", onSigint);
          await handle.stop();
          runtime.shutdown();
        }
      },
    );
}
