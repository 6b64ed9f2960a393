/** Loggers in ROS 2's console format: "[INFO] [1732400000.123456789] [/ns/node]: message". */
import type { Logger } from "./node.js";

export type LogLevel = "debug" | "info" | "warn" | "error";
export interface LogRecord {
  level: LogLevel;
  node: string;
  message: string;
  /** Wall time, seconds since the epoch. */
  time: number;
}
export type LogSink = (record: LogRecord) => void;

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function formatLogRecord(r: LogRecord): string {
  return `[${r.level.toUpperCase()}] [${r.time.toFixed(9)}] [${r.node}]: ${r.message}`;
}

/** The default sink: stderr, so stdout stays free for --json and echo output. */
export const stderrSink: LogSink = (r) => {
  process.stderr.write(formatLogRecord(r) + "\n");
};

export function makeLogger(node: string, sink: LogSink, minLevel: LogLevel = "info"): Logger {
  const emit = (level: LogLevel, message: string): void => {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[minLevel]) return;
    sink({ level, node, message, time: Date.now() / 1000 });
  };
  return {
    debug: (m) => emit("debug", m),
    info: (m) => emit("info", m),
    warn: (m) => emit("warn", m),
    error: (m) => emit("error", m),
  };
}
