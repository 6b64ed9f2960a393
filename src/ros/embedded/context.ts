/**
 * The embedded runtime: nodes composed in one process (like a ROS 2 component container) over the
 * in-process bus. The executor spins on its own (setImmediate rounds) from the first message on;
 * `spinSome()` drains synchronously for tests, `shutdown()` destroys every node.
 */
import { Subject, type Observable } from "rxjs";
import { NodeError, type Node, type ParameterValue, type QoS } from "../node.js";
import { normalizeNamespace, joinNamespace, validateNodeName, parseRemap, type RemapRule } from "../names.js";
import { makeLogger, stderrSink, type LogLevel, type LogSink } from "../logger.js";
import { Bus } from "./bus.js";
import { EmbeddedNode, type EmbeddedNodeHost } from "./embedded-node.js";

export interface CreateNodeOptions {
  namespace?: string;
  /** Parameter overrides (launch params, YAML, -p): they win over declared defaults. */
  parameters?: Record<string, ParameterValue>;
  /** Remap rules: {from, to} objects or "from:=to" strings; "__ns:=" and "__node:=" rename the node. */
  remaps?: readonly (RemapRule | string)[];
  /** Default of the node's use_sim_time parameter (an override in `parameters` wins). */
  useSimTime?: boolean;
}

export interface EmbeddedContextOptions {
  logSink?: LogSink;
  logLevel?: LogLevel;
  /** Wall clock in nanoseconds since the epoch (injectable for tests). */
  wallNanos?: () => number;
  /** Remaps applied to every node (like global --ros-args -r). */
  globalRemaps?: readonly RemapRule[];
}

export interface NodeFailure {
  node: string;
  where: string;
  error: unknown;
}

export interface GraphEndpoint {
  node: string;
  qos: QoS;
}

export interface GraphTopic {
  name: string;
  type: string;
  publishers: GraphEndpoint[];
  subscriptions: GraphEndpoint[];
  /** Messages published on this topic so far (all publishers). */
  published: number;
}

export interface GraphSnapshot {
  nodes: { name: string; namespace: string; fullName: string }[];
  topics: GraphTopic[];
}

export interface EmbeddedContext {
  readonly kind: "embedded";
  createNode(name: string, options?: CreateNodeOptions): Node;
  nodes(): Node[];
  graph(): GraphSnapshot;
  /** Synchronously delivers everything pending (bounded); returns executor rounds run. */
  spinSome(maxRounds?: number): number;
  idle(): boolean;
  /** Callback errors from every node (also logged). */
  readonly errors$: Observable<NodeFailure>;
  shutdown(): void;
  isShutdown(): boolean;
}

const wallNanosDefault = (): number => (performance.timeOrigin + performance.now()) * 1e6;

export function createEmbeddedContext(options: EmbeddedContextOptions = {}): EmbeddedContext {
  const bus = new Bus();
  const sink = options.logSink ?? stderrSink;
  const level = options.logLevel ?? "info";
  const errors$ = new Subject<NodeFailure>();
  const live = new Map<string, EmbeddedNode>();
  let down = false;

  const host: EmbeddedNodeHost = {
    bus,
    wallNanos: options.wallNanos ?? wallNanosDefault,
    logger: (fullName) => makeLogger(fullName, sink, level),
    reportError(node, where, error) {
      const detail = error instanceof Error ? error.message : String(error);
      makeLogger(node, sink, level).error(`${where} threw: ${detail}`);
      errors$.next({ node, where, error });
    },
    forget(node) {
      if (live.get(node.fullName) === node) live.delete(node.fullName);
    },
  };

  return {
    kind: "embedded",
    createNode(name, opts = {}) {
      if (down) throw new NodeError(name, "the embedded context was shut down");
      const rules = (opts.remaps ?? []).map((r) => (typeof r === "string" ? parseRemap(r) : r));
      let nodeName = name;
      let ns = opts.namespace;
      for (const r of rules) {
        if (r.from === "__node" || r.from === "__name") nodeName = r.to;
        if (r.from === "__ns") ns = r.to;
      }
      validateNodeName(nodeName);
      const namespace = normalizeNamespace(ns);
      const full = joinNamespace(namespace, nodeName);
      if (live.has(full)) {
        throw new NodeError(full, "a node with this fully qualified name already exists", {
          hint: "give the node another name or namespace (launch: name= / namespace=)",
        });
      }
      const node = new EmbeddedNode(
        host,
        nodeName,
        namespace,
        opts.parameters ?? {},
        [...rules, ...(options.globalRemaps ?? [])],
        opts.useSimTime ?? false,
      );
      live.set(full, node);
      return node;
    },
    nodes: () => [...live.values()],
    graph() {
      const topics = [...bus.topics.values()]
        .map((t) => ({
          name: t.name,
          type: t.typeName,
          publishers: [...t.publishers].map((p) => ({ node: p.owner.fullName, qos: p.qos })),
          subscriptions: [...t.subscriptions].map((s) => ({ node: s.owner.fullName, qos: s.qos })),
          published: [...t.publishers].reduce((n, p) => n + p.published, 0),
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
      const nodes = [...live.values()]
        .map((n) => ({ name: n.name(), namespace: n.namespace(), fullName: n.fullName }))
        .sort((a, b) => a.fullName.localeCompare(b.fullName));
      return { nodes, topics };
    },
    spinSome: (maxRounds) => bus.executor.spinSome(maxRounds),
    idle: () => bus.executor.idle(),
    errors$: errors$.asObservable(),
    shutdown() {
      if (down) return;
      down = true;
      for (const n of [...live.values()]) n.destroy();
      bus.executor.stop();
      errors$.complete();
    },
    isShutdown: () => down,
  };
}
