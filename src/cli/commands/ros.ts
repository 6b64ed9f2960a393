import type { Command } from "commander";
import { printJsonLine } from "../run.js";

/** `tether ros install --prefix DIR`: the ament package "tether", for ros2 run / ros2 launch. */
export function registerRos(program: Command): void {
  const ros = program.command("ros").description("Make Tether a ROS 2 package for ROS 2's own tools");
  ros
    .command("install")
    .description(
      "Install the ament package tether into DIR (package.xml, launch files, a lib/tether wrapper per node running this checkout with --ros); put DIR on AMENT_PREFIX_PATH",
    )
    .requiredOption("--prefix <dir>", "install prefix (created if missing)")
    .option("--json", "print one JSON object")
    .action(async (opts: { prefix: string; json?: boolean }) => {
      const { installAmentPackage, defaultAmentSources } = await import("../../ros/ament-package.js");
      const { NODE_REGISTRY } = await import("../../nodes/registry.js");
      const { REPO_ROOT } = await import("../../robot/load.js");
      const done = installAmentPackage(
        opts.prefix,
        defaultAmentSources(REPO_ROOT, Object.keys(NODE_REGISTRY)),
      );
      if (opts.json) {
        printJsonLine({
          prefix: done.prefix,
          share: done.share,
          executables: done.executables,
          launch_files: done.launchFiles,
        });
        return;
      }
      process.stdout.write(
        `installed package tether into ${done.prefix}: ${done.executables.length} executables, ${done.launchFiles.length} launch files\n` +
          `use it: export AMENT_PREFIX_PATH=${done.prefix}:$AMENT_PREFIX_PATH\n`,
      );
    });
}
