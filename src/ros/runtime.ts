/**
 * Picks where nodes run: real ROS 2 through rclnodejs when it loads, else the embedded runtime with a
 * one-time notice. `ros: true` (the CLI's --ros) makes a missing ROS 2 an error instead.
 */
import type { Node, ParameterValue } from "./node.js";
import type { RemapRule } from "./names.js";
import {
  createEmbeddedContext,
  type EmbeddedContext,
  type EmbeddedContextOptions,
} from "./embedded/context.js";
import { loadRclnodejs, createRclnodejsNode, untilQuiet } from "./rclnodejs-adapter.js";
import { NotAvailableError } from "../core/errors.js";

export const EMBEDDED_NOTICE = "ROS 2 not found: using the embedded runtime";

export interface RuntimeNodeOptions {
  namespace?: string;
  parameters?: Record<string, ParameterValue>;
  remaps?: readonly RemapRule[];
}

export interface Runtime {
  readonly kind: "embedded" | "rclnodejs";
  createNode(name: string, options?: RuntimeNodeOptions): Promise<Node>;
  /** The embedded context (graph introspection, spinSome), when kind is "embedded". */
  readonly embedded: EmbeddedContext | undefined;
  /** Waits (bounded) until messages already sent have been delivered: call before closing nodes. */
  settle(): Promise<void>;
  shutdown(): void;
}

export interface SelectRuntimeOptions {
  /** Require ROS 2 (rclnodejs): its absence is a NotAvailableError. */
  ros: boolean;
  /** Where the one-time notice goes (default stderr). */
  notice?: (message: string) => void;
  embedded?: EmbeddedContextOptions;
  /** Skip trying rclnodejs (tests, and `tether` commands that are embedded by nature). */
  embeddedOnly?: boolean;
}

let noticeShown = false;

export function embeddedRuntime(options: EmbeddedContextOptions = {}): Runtime {
  const ctx = createEmbeddedContext(options);
  return {
    kind: "embedded",
    embedded: ctx,
    createNode: (name, opts = {}) =>
      Promise.resolve(ctx.createNode(name, { ...opts, remaps: opts.remaps ?? [] })),
    // In one process every message is already queued; the executor runs it before the nodes close.
    settle: () => {
      ctx.spinSome();
      return Promise.resolve();
    },
    shutdown: () => ctx.shutdown(),
  };
}

export async function selectRuntime(options: SelectRuntimeOptions): Promise<Runtime> {
  if (options.embeddedOnly !== true || options.ros) {
    try {
      const rcl = await loadRclnodejs();
      const created: Node[] = [];
      return {
        kind: "rclnodejs",
        embedded: undefined,
        async createNode(name, opts = {}) {
          const node = await createRclnodejsNode(name, opts);
          created.push(node);
          return node;
        },
        settle: () => untilQuiet(),
        shutdown() {
          for (const n of created) n.destroy();
          if (!rcl.isShutdown()) rcl.shutdown();
        },
      };
    } catch (err) {
      if (options.ros || !(err instanceof NotAvailableError)) throw err;
    }
  }
  if (!noticeShown && options.embeddedOnly !== true) {
    noticeShown = true;
    (options.notice ?? ((m: string) => process.stderr.write(`${m}\n`)))(EMBEDDED_NOTICE);
  }
  return embeddedRuntime(options.embedded);
}

/** For tests: show the notice again. */
export function resetRuntimeNotice(): void {
  noticeShown = false;
}
