#!/usr/bin/env node
/**
 * The `tether` command: thin. Each command lives in src/cli/commands/<name>.ts and imports the rooms it
 * calls lazily, so `tether --help` starts fast and one broken room cannot break another command.
 */
import { Command } from "commander";
import { runCli } from "./run.js";
import { registerBag } from "./commands/bag.js";
import { registerBench } from "./commands/bench.js";
import { registerImport } from "./commands/import.js";
import { registerReplay } from "./commands/replay.js";
import { registerLaunch } from "./commands/launch.js";
import { registerNode } from "./commands/node.js";
import { registerTopic } from "./commands/topic.js";
import { registerCollect } from "./commands/collect.js";
import { registerDataset } from "./commands/dataset.js";
import { registerDemo } from "./commands/demo.js";
import { registerEval } from "./commands/eval.js";
import { registerExport } from "./commands/export.js";
import { registerReport } from "./commands/report.js";
import { registerRobot } from "./commands/robot.js";
import { registerSim } from "./commands/sim.js";
import { registerTrain } from "./commands/train.js";
import { registerFinetune } from "./commands/finetune.js";
import { registerDeploy } from "./commands/deploy.js";
import { registerRos } from "./commands/ros.js";

const program = new Command("tether")
  .description(
    "Offline-to-online robot learning for ROS 2: record, train offline, fine-tune behind a shield, stage to hardware.",
  )
  .version("0.1.0")
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: true });

// Each register function adds one top-level command (and its subcommands).
for (const register of [
  registerRobot,
  registerSim,
  registerBench,
  registerBag,
  registerImport,
  registerReplay,
  registerReport,
  registerDataset,
  registerCollect,
  registerDemo,
  registerEval,
  registerExport,
  registerLaunch,
  registerTopic,
  registerNode,
  registerTrain,
  registerFinetune,
  registerDeploy,
  registerRos,
])
  register(program);

await runCli(program, process.argv);
