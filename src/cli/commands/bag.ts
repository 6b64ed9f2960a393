import type { Command } from "commander";
import { printJsonLine } from "../run.js";

/** `tether bag info <bag> [--json]`: like `ros2 bag info -v`, for MCAP, sqlite3 and ROS 1 bags. */
export function registerBag(program: Command): void {
  const bag = program
    .command("bag")
    .description(
      "Inspect bags (rosbag2 MCAP or sqlite3, compressed per message or per file; ROS 1 .bag; folders with metadata.yaml or single files)",
    );
  bag
    .command("info <bag>")
    .description(
      "Files, duration, message count per topic and service (JSON: topics[{name,type,message_count}], services[], total)",
    )
    .option("--allow-truncated", "summarize the complete records of an MCAP file cut short")
    .option("--json", "print one JSON object")
    .action(async (path: string, opts: { json?: boolean; allowTruncated?: boolean }) => {
      const { openBag } = await import("../../data/rosbag2/bag.js");
      const { bagInfo, countServiceEvents, formatBagInfo } = await import("../../data/rosbag2/bag-info.js");
      const opened = await openBag(path, { allowTruncated: opts.allowTruncated });
      try {
        // Build every topic's decoder and decode one message per topic so definition problems show up.
        for (const t of opened.topics) {
          try {
            opened.decoder(t.name);
          } catch (err) {
            opened.warnings.push((err as Error).message);
          }
        }
        const seen = new Set<string>();
        const withMessages = opened.topics.filter((t) => t.messageCount > 0).length;
        for await (const m of opened.messages()) {
          if (seen.size === withMessages) break;
          if (seen.has(m.topic)) continue;
          seen.add(m.topic);
          try {
            void m.message;
          } catch (err) {
            opened.warnings.push((err as Error).message);
          }
        }
        let serviceCounts: Awaited<ReturnType<typeof countServiceEvents>> | undefined;
        try {
          serviceCounts = await countServiceEvents(opened);
        } catch (err) {
          opened.warnings.push(`service events not counted: ${(err as Error).message}`);
        }
        const info = bagInfo(opened, serviceCounts);
        if (opts.json) printJsonLine(info);
        else process.stdout.write(formatBagInfo(info) + "\n");
      } finally {
        await opened.close();
      }
    });
}
