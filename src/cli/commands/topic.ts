import type { Command } from "commander";
import type { GraphSnapshot } from "../../ros/embedded/context.js";
import { parseFloatOption, parseIntOption, printJsonLine } from "../run.js";

interface TopicOptions {
  launch: string;
  duration: number;
  json?: boolean;
  verbose?: boolean;
  once?: boolean;
  count?: number;
}

/**
 * `tether topic list|echo|hz --launch <file> [name:=value ...]`: ros2 topic for the embedded runtime. The
 * embedded graph lives in the launching process, so each command launches the file, observes for
 * --duration seconds (wall clock), prints its report and shuts the launch down.
 */
export function registerTopic(program: Command): void {
  const topic = program
    .command("topic")
    .description(
      "Inspect topics of a launch file run by the embedded runtime (launches it for --duration seconds)",
    );
  const common = (c: Command): Command =>
    c
      .requiredOption("--launch <file>", "launch XML file to run while observing")
      .option("--duration <sec>", "wall-clock seconds to observe", parseFloatOption("--duration"), 2)
      .option("--json", "print JSON (list/hz: one object as the last line; echo: one message per line)");

  common(
    topic
      .command("list [args...]")
      .description("Topics with their types (-v: publishers, subscribers, QoS, counts)"),
  )
    .option("-v, --verbose", "publishers and subscribers with QoS and message counts")
    .action(async (args: string[], opts: TopicOptions) => {
      const { runLaunchSession, embeddedOf } = await import("../../launch/session.js");
      const { formatTopicList } = await import("../../launch/introspect.js");
      let graph: GraphSnapshot = { nodes: [], topics: [] };
      await runLaunchSession(await describe(opts.launch, args), {
        ros: false,
        durationSec: opts.duration,
        registry: await registry(),
        requireEmbedded: "topic list",
        log: () => {},
        beforeShutdown: (handle) => (graph = embeddedOf(handle).graph()),
      });
      if (opts.json) printJsonLine({ topics: graph.topics });
      else process.stdout.write(formatTopicList(graph, opts.verbose === true) + "\n");
    });

  common(topic.command("echo <topic> [args...]").description("Print messages on a topic"))
    .option("--once", "stop after the first message")
    .option("--count <n>", "stop after n messages", parseIntOption("--count"))
    .action(async (name: string, args: string[], opts: TopicOptions) => {
      const { runLaunchSession, embeddedOf } = await import("../../launch/session.js");
      const { observeTopic, toPlain } = await import("../../launch/introspect.js");
      const limit = opts.once ? 1 : opts.count;
      let seen = 0;
      await runLaunchSession(await describe(opts.launch, args), {
        ros: false,
        durationSec: opts.duration,
        registry: await registry(),
        requireEmbedded: "topic echo",
        log: () => {},
        during: async (handle, stop) => {
          const ctx = embeddedOf(handle);
          const observer = await handle.runtime.createNode("_tether_topic_echo");
          observeTopic(ctx, observer, name, (m) => {
            if (limit !== undefined && seen >= limit) return;
            seen++;
            const plain = toPlain(m);
            process.stdout.write(
              opts.json ? JSON.stringify(plain) + "\n" : `${JSON.stringify(plain, null, 2)}\n---\n`,
            );
            if (limit !== undefined && seen >= limit) stop();
          });
        },
      });
    });

  common(
    topic
      .command("hz <topic> [args...]")
      .description("Message rate on a topic (wall clock and header stamps)"),
  ).action(async (name: string, args: string[], opts: TopicOptions) => {
    const { runLaunchSession, embeddedOf } = await import("../../launch/session.js");
    const { observeTopic, HzMeter } = await import("../../launch/introspect.js");
    const meter = new HzMeter(name);
    await runLaunchSession(await describe(opts.launch, args), {
      ros: false,
      durationSec: opts.duration,
      registry: await registry(),
      requireEmbedded: "topic hz",
      log: () => {},
      during: async (handle) => {
        const observer = await handle.runtime.createNode("_tether_topic_hz");
        observeTopic(embeddedOf(handle), observer, name, (m, type) => meter.add(m, type));
      },
    });
    const r = meter.report(opts.duration);
    if (opts.json) printJsonLine(r);
    else {
      const f = (x: number | null, d = 3) => (x === null ? "n/a" : x.toFixed(d));
      process.stdout.write(
        `${r.topic} [${r.type ?? "no messages"}]: ${r.messages} messages in ${r.window_s} s\n` +
          `average rate: ${f(r.rate_hz)} Hz (wall clock), ${f(r.stamp_rate_hz)} Hz (header stamps)\n` +
          `min: ${f(r.min_period_s, 6)} s max: ${f(r.max_period_s, 6)} s std dev: ${f(r.std_period_s, 6)} s\n`,
      );
    }
  });
}

async function describe(file: string, args: string[]) {
  const { interpretLaunchFile, parseLaunchArgs } = await import("../../launch/interpreter.js");
  return interpretLaunchFile(file, { args: parseLaunchArgs(args) });
}

async function registry() {
  return (await import("../../nodes/registry.js")).NODE_REGISTRY;
}
