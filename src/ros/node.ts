/**
 * The one Node API every Tether node is written against, shaped like rclnodejs's `Node`: the same node
 * code runs in the embedded runtime (src/ros/embedded/) and as a real ROS 2 node through rclnodejs
 * (src/ros/rclnodejs-adapter.ts). A node is a class or factory taking `(node: Node)`.
 */
import type { Observable } from "rxjs";
import type { MessageOf, ServiceRequestOf, ServiceResponseOf, Time } from "../msgs/types.js";
import { TetherError } from "../core/errors.js";

/** ROS 2 QoS, the parts Tether uses: keep-last depth, reliability, durability. */
export interface QoS {
  /** Keep-last history depth (messages queued per subscription / latched per publisher). */
  depth: number;
  reliability: "reliable" | "best_effort";
  durability: "volatile" | "transient_local";
}

/** rclcpp's default profile: keep last 10, reliable, volatile. */
export const DEFAULT_QOS: QoS = Object.freeze({ depth: 10, reliability: "reliable", durability: "volatile" });
/** The sensor-data profile: keep last 5, best effort. */
export const SENSOR_DATA_QOS: QoS = Object.freeze({
  depth: 5,
  reliability: "best_effort",
  durability: "volatile",
});
/** Latched topics (robot descriptions, episode markers): keep last 1, reliable, transient local. */
export const LATCHED_QOS: QoS = Object.freeze({
  depth: 1,
  reliability: "reliable",
  durability: "transient_local",
});
/** /clock as ROS 2 publishes it: keep last 1, best effort. */
export const CLOCK_QOS: QoS = Object.freeze({ depth: 1, reliability: "best_effort", durability: "volatile" });

export interface PublisherOptions {
  qos?: Partial<QoS>;
}

/** What the middleware says of a received message besides its content. */
export interface MessageInfo {
  /**
   * The publisher's clock at publication (DDS source timestamp), ns. Absent in the embedded runtime, whose
   * in-process bus delivers in publication order. Orders messages of different topics as they were published.
   */
  sourceTimestampNs?: bigint;
}

export interface SubscriptionOptions {
  qos?: Partial<QoS>;
}

export interface Publisher<T = unknown> {
  /** Fully resolved topic name. */
  readonly topic: string;
  readonly typeName: string;
  /** Validates the message against its type and delivers it; a wrong shape throws MessageShapeError. */
  publish(message: T): void;
  /** Number of matched (QoS-compatible) subscriptions. */
  subscriptionCount(): number;
}

export interface Subscription<T = unknown> {
  readonly topic: string;
  readonly typeName: string;
  /** Every message this subscription receives (after QoS), as an RxJS Observable. */
  readonly observable$: Observable<T>;
  publisherCount(): number;
}

/** A service server: requests are answered by the handler given to createService. */
export interface Service {
  /** Fully resolved service name. */
  readonly serviceName: string;
  readonly typeName: string;
}

/** A service client: one request, one response. */
export interface ServiceClient<Req = unknown, Res = unknown> {
  readonly serviceName: string;
  readonly typeName: string;
  /** True once a server for this service is reachable. */
  serviceAvailable(): boolean;
  /** Sends a request; rejects when no server answers within timeoutMs (default 10 s) or the server fails. */
  call(request: Req, timeoutMs?: number): Promise<Res>;
}

export interface Timer {
  readonly periodMs: number;
  cancel(): void;
  isCanceled(): boolean;
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type ParameterValue = boolean | number | string | boolean[] | number[] | string[];

export interface ParameterDescriptor {
  description?: string;
  readOnly?: boolean;
  /**
   * A number parameter is a ROS 2 double even when its value is whole: JavaScript has one number type
   * (5.0 === 5), so without this a whole default or override declares an integer under real ROS 2.
   */
  double?: boolean;
}

/** A node's clock: ROS time, which follows /clock when the node's `use_sim_time` parameter is true. */
export interface RosClock {
  readonly type: "ROS_TIME";
  readonly useSimTime: boolean;
  now(): Time;
  nowSeconds(): number;
}

export interface Node {
  name(): string;
  namespace(): string;
  /** namespace + name, e.g. "/arm/sim_robot". */
  fullyQualifiedName(): string;

  createPublisher<K extends string>(
    typeName: K,
    topic: string,
    options?: PublisherOptions,
  ): Publisher<MessageOf<K>>;
  createSubscription<K extends string>(
    typeName: K,
    topic: string,
    options: SubscriptionOptions,
    callback: (message: MessageOf<K>, info?: MessageInfo) => void,
  ): Subscription<MessageOf<K>>;
  /** A service server; the handler runs on the node's executor like a subscription callback. */
  createService<K extends string>(
    typeName: K,
    serviceName: string,
    handler: (request: ServiceRequestOf<K>) => ServiceResponseOf<K>,
  ): Service;
  createClient<K extends string>(
    typeName: K,
    serviceName: string,
  ): ServiceClient<ServiceRequestOf<K>, ServiceResponseOf<K>>;
  /** A timer on the node's clock: wall time, or sim time when use_sim_time is true. */
  createTimer(periodMs: number, callback: () => void): Timer;

  declareParameter<V extends ParameterValue>(
    name: string,
    defaultValue: V,
    descriptor?: ParameterDescriptor,
  ): V;
  hasParameter(name: string): boolean;
  getParameter<V extends ParameterValue = ParameterValue>(name: string): V;
  setParameter(name: string, value: ParameterValue): void;
  /** All declared parameters (name -> value). */
  getParameters(): Record<string, ParameterValue>;

  getLogger(): Logger;
  getClock(): RosClock;
  now(): Time;
  /** Resolves a topic name as this node would (namespace, ~, remaps). */
  resolveTopicName(topic: string): string;
  destroy(): void;
}

/** A node-level misuse: an undeclared parameter, a wrong parameter type, a destroyed node. */
export class NodeError extends TetherError {
  constructor(
    readonly nodeName: string,
    detail: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super("NODE", `node ${nodeName}: ${detail}`, { nodeName }, options);
  }
}

/** A topic is used with two message types, or with incompatible QoS where that is an error. */
export class TopicError extends TetherError {
  constructor(
    readonly topic: string,
    detail: string,
    options?: { hint?: string },
  ) {
    super("TOPIC", `topic ${topic}: ${detail}`, { topic }, options);
  }
}

/** What a node factory returns: optional cleanup, called on shutdown before the node is destroyed. */
export interface NodeHandle {
  close?(): void | Promise<void>;
}

/** A Tether node: a function of a Node, so the same code runs embedded or under rclnodejs. */
export type NodeFactory = (node: Node, args: string[]) => NodeHandle | void | Promise<NodeHandle | void>;

export function resolveQos(qos: Partial<QoS> | undefined, fallback: QoS = DEFAULT_QOS): QoS {
  const q = { ...fallback, ...(qos ?? {}) };
  if (!Number.isInteger(q.depth) || q.depth < 1)
    throw new TetherError("QOS", `QoS depth must be an integer >= 1, got ${q.depth}`);
  if (q.reliability !== "reliable" && q.reliability !== "best_effort") {
    throw new TetherError(
      "QOS",
      `QoS reliability must be "reliable" or "best_effort", got "${String(q.reliability)}"`,
    );
  }
  if (q.durability !== "volatile" && q.durability !== "transient_local") {
    throw new TetherError(
      "QOS",
      `QoS durability must be "volatile" or "transient_local", got "${String(q.durability)}"`,
    );
  }
  return q;
}

/**
 * ROS 2 request/offer matching: a reliable subscription does not match a best-effort publisher, and a
 * transient-local subscription does not match a volatile publisher. Returns why, or undefined if they match.
 */
export function qosIncompatibility(publisher: QoS, subscription: QoS): string | undefined {
  if (subscription.reliability === "reliable" && publisher.reliability === "best_effort") {
    return "the subscription requests RELIABLE but the publisher offers BEST_EFFORT";
  }
  if (subscription.durability === "transient_local" && publisher.durability === "volatile") {
    return "the subscription requests TRANSIENT_LOCAL but the publisher offers VOLATILE";
  }
  return undefined;
}
