/**
 * Callback faults at the node edge, the same under every runtime: `guardCallbacks(node, onFault)` returns a
 * Node whose timer, subscription and service callbacks run
 * inside a try/catch, and whose async callbacks have their rejection caught too. A throw goes to `onFault`
 * with the node and the callback named; it is never dropped. A node that commands hardware wraps its Node
 * with this and turns each fault into a fatal SafetyEvent (policy-node.ts): a callback that silently stops
 * would silently stop the commands.
 *
 * If `onFault` itself throws, that error is rethrown to the runtime (the embedded runtime logs it on
 * `errors$`; under rclnodejs it reaches the executor): a fault handler that fails must not be quiet either.
 */
import type { MessageInfo, Node, Service, Subscription, SubscriptionOptions, Timer } from "./node.js";
import type { MessageOf, ServiceRequestOf, ServiceResponseOf } from "../msgs/types.js";

export interface CallbackFault {
  /** Fully qualified node name, e.g. "/policy". */
  node: string;
  /** Which callback: "timer tick (20 ms)", "subscription /joint_states (onJointState)" (with the function's name when it has one). */
  callback: string;
  error: unknown;
}

export type CallbackFaultHandler = (fault: CallbackFault) => void;

export function guardCallbacks(node: Node, onFault: CallbackFaultHandler): Node {
  const wrap = <A extends unknown[]>(
    callback: string,
    fn: (...args: A) => unknown,
  ): ((...args: A) => void) => {
    const fault = (error: unknown): void => onFault({ node: node.fullyQualifiedName(), callback, error });
    return (...args: A): void => {
      let result: unknown;
      try {
        result = fn(...args);
      } catch (error) {
        fault(error);
        return;
      }
      if (isThenable(result)) {
        result.then(undefined, (error: unknown) => {
          try {
            fault(error);
          } catch (handlerError) {
            // Nothing is left to hand this to but the process: let it be an unhandled rejection.
            void Promise.reject(handlerError);
          }
        });
      }
    };
  };

  return {
    name: () => node.name(),
    namespace: () => node.namespace(),
    fullyQualifiedName: () => node.fullyQualifiedName(),
    createPublisher: (typeName, topic, options) => node.createPublisher(typeName, topic, options),
    createSubscription<K extends string>(
      typeName: K,
      topic: string,
      options: SubscriptionOptions,
      callback: (message: MessageOf<K>, info?: MessageInfo) => void,
    ): Subscription<MessageOf<K>> {
      const label = `subscription ${topic}${callback.name ? ` (${callback.name})` : ""}`;
      return node.createSubscription(typeName, topic, options, wrap(label, callback));
    },
    createService<K extends string>(
      typeName: K,
      serviceName: string,
      handler: (request: ServiceRequestOf<K>) => ServiceResponseOf<K>,
    ): Service {
      const label = `service ${serviceName}${handler.name ? ` (${handler.name})` : ""}`;
      return node.createService(typeName, serviceName, (request) => {
        try {
          return handler(request);
        } catch (error) {
          onFault({ node: node.fullyQualifiedName(), callback: label, error });
          // No response to give: the runtime reports the call as failed, as for any server that throws.
          throw error;
        }
      });
    },
    createClient: (typeName, serviceName) => node.createClient(typeName, serviceName),
    createTimer(periodMs: number, callback: () => void): Timer {
      const label = `timer${callback.name ? ` ${callback.name}` : ""} (${periodMs} ms)`;
      return node.createTimer(periodMs, wrap(label, callback));
    },
    declareParameter: (name, defaultValue, descriptor) =>
      node.declareParameter(name, defaultValue, descriptor),
    hasParameter: (name) => node.hasParameter(name),
    getParameter: (name) => node.getParameter(name),
    setParameter: (name, value) => node.setParameter(name, value),
    getParameters: () => node.getParameters(),
    getLogger: () => node.getLogger(),
    getClock: () => node.getClock(),
    now: () => node.now(),
    resolveTopicName: (topic) => node.resolveTopicName(topic),
    destroy: () => node.destroy(),
  };
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";
}
