/**
 * Callback faults of launched nodes, never silent: every node the launch runner composes runs behind
 * guardCallbacks, and a callback that throws is logged and published on /diagnostics as an ERROR naming the
 * node and the callback (status "tether/node_callback"). A node that commands hardware behind an e-stop (the
 * policy node) guards its own callbacks first and latches its e-stop; this is the floor for the others
 * (behavior, recorder, sim_robot), which have no latch to trip.
 */
import { DIAGNOSTIC_LEVEL } from "../msgs/types.js";
import type { CallbackFaultHandler } from "../ros/callback-guard.js";
import type { Node, Publisher } from "../ros/node.js";

export const NODE_FAULT_STATUS = "tether/node_callback";

export function reportNodeFaults(node: Node, log: (line: string) => void): CallbackFaultHandler {
  let diagnostics: Publisher<unknown> | undefined;
  return (f) => {
    const detail = f.error instanceof Error ? f.error.message : String(f.error);
    const message = `${f.node}: ${f.callback} threw: ${detail}`;
    log(`[ERROR] [launch]: ${message}`);
    diagnostics ??= node.createPublisher(
      "diagnostic_msgs/msg/DiagnosticArray",
      "/diagnostics",
    ) as Publisher<unknown>;
    diagnostics.publish({
      header: { stamp: node.now(), frame_id: "" },
      status: [
        {
          level: DIAGNOSTIC_LEVEL.ERROR,
          name: NODE_FAULT_STATUS,
          message,
          hardware_id: f.node,
          values: [
            { key: "node", value: f.node },
            { key: "callback", value: f.callback },
          ],
        },
      ],
    });
  };
}
