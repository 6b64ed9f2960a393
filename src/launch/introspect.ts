/**
 * `ros2 topic list/echo/hz` and `ros2 node list`, for the embedded runtime. The embedded graph lives inside
 * the process that launched it, so these launch a file, observe for a while, report and shut down.
 */
import { performance } from "node:perf_hooks";
import type { EmbeddedContext, GraphSnapshot } from "../ros/embedded/context.js";
import type { Node } from "../ros/node.js";

/** best_effort + volatile matches every publisher; deep enough that a burst is not dropped. */
const OBSERVER_QOS = { depth: 1000, reliability: "best_effort", durability: "volatile" } as const;

export interface HzReport {
  topic: string;
  type: string | null;
  messages: number;
  /** Messages per wall-clock second between the first and last message. */
  rate_hz: number | null;
  /** Messages per second of header stamp time (or /clock time): sim time for sim_robot. */
  stamp_rate_hz: number | null;
  min_period_s: number | null;
  max_period_s: number | null;
  std_period_s: number | null;
  window_s: number;
}

/** Messages as JSON-friendly values (typed arrays -> arrays, bigint -> number). */
export function toPlain(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v)]));
  return value;
}

export function topicType(ctx: EmbeddedContext, topic: string): string | undefined {
  return ctx.graph().topics.find((t) => t.name === topic)?.type;
}

/** Subscribes to `topic` as soon as it exists (polling the graph), returning a stop function. */
export function observeTopic(
  ctx: EmbeddedContext,
  observer: Node,
  topic: string,
  onMessage: (m: unknown, type: string) => void,
): () => void {
  let stopped = false;
  let poll: NodeJS.Timeout | undefined;
  const attach = (): boolean => {
    const type = topicType(ctx, topic);
    if (type === undefined) return false;
    observer.createSubscription(type, topic, { qos: OBSERVER_QOS }, (m) => {
      if (!stopped) onMessage(m, type);
    });
    return true;
  };
  if (!attach()) {
    poll = setInterval(() => {
      if (attach()) clearInterval(poll);
    }, 10);
  }
  return () => {
    stopped = true;
    if (poll) clearInterval(poll);
  };
}

export class HzMeter {
  private n = 0;
  private first = 0;
  private last = 0;
  private firstStamp: number | undefined;
  private lastStamp: number | undefined;
  private readonly periods: number[] = [];
  type: string | null = null;

  constructor(
    readonly topic: string,
    private readonly now: () => number = () => performance.now() / 1000,
  ) {}

  add(message: unknown, type: string): void {
    const t = this.now();
    this.type = type;
    if (this.n > 0) this.periods.push(t - this.last);
    else this.first = t;
    this.last = t;
    this.n++;
    // Header stamps, or the time a rosgraph_msgs/msg/Clock carries.
    const m = message as {
      header?: { stamp?: { sec: number; nanosec: number } };
      clock?: { sec: number; nanosec: number };
    };
    const stamp = m.header?.stamp ?? m.clock;
    if (stamp) {
      const s = stamp.sec + stamp.nanosec * 1e-9;
      this.firstStamp ??= s;
      this.lastStamp = s;
    }
  }

  report(windowS: number): HzReport {
    const span = this.last - this.first;
    const mean = this.periods.length ? this.periods.reduce((a, b) => a + b, 0) / this.periods.length : 0;
    const variance = this.periods.length
      ? this.periods.reduce((a, b) => a + (b - mean) ** 2, 0) / this.periods.length
      : 0;
    const stampSpan =
      this.firstStamp !== undefined && this.lastStamp !== undefined ? this.lastStamp - this.firstStamp : 0;
    return {
      topic: this.topic,
      type: this.type,
      messages: this.n,
      rate_hz: this.n > 1 && span > 0 ? (this.n - 1) / span : null,
      stamp_rate_hz: this.n > 1 && stampSpan > 0 ? (this.n - 1) / stampSpan : null,
      min_period_s: this.periods.length ? Math.min(...this.periods) : null,
      max_period_s: this.periods.length ? Math.max(...this.periods) : null,
      std_period_s: this.periods.length ? Math.sqrt(variance) : null,
      window_s: windowS,
    };
  }
}

export function formatTopicList(graph: GraphSnapshot, verbose: boolean): string {
  const lines: string[] = [];
  for (const t of graph.topics) {
    if (!verbose) {
      lines.push(`${t.name} [${t.type}]`);
      continue;
    }
    lines.push(`${t.name} [${t.type}] published=${t.published}`);
    for (const p of t.publishers)
      lines.push(`  publisher  ${p.node} (${p.qos.reliability}, ${p.qos.durability}, depth ${p.qos.depth})`);
    for (const s of t.subscriptions)
      lines.push(`  subscriber ${s.node} (${s.qos.reliability}, ${s.qos.durability}, depth ${s.qos.depth})`);
  }
  return lines.join("\n");
}
