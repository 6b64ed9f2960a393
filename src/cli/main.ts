#!/usr/bin/env node
/**
 * The `tether` command: thin. Each command lives in src/cli/commands/<name>.ts and imports the rooms it
 * calls lazily, so `tether --help` starts fast and one broken room cannot break another command.
 */
import { Command } from "commander";
import { runCli } from "./run.js";
import { registerBench } from "./commands/bench.js";
import { registerRobot } from "./commands/robot.js";
import { registerSim } from "./commands/sim.js";

const program = new Command("tether")
  .description("Offline-to-online robot learning for ROS 2: record, train offline, fine-tune behind a shield, stage to hardware.")
  .version("0.1.0")
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: true });

// Each register function adds one top-level command (and its subcommands).
for (const register of [registerRobot, registerSim, registerBench]) register(program);

await runCli(program, process.argv);
