/**
 * The Node API on real ROS 2 through rclnodejs (optional dependency). Loaded dynamically: without ROS 2
 * sourced and rclnodejs installed, loadRclnodejs() throws NotAvailableError. This machine has no ROS 2,
 * so this file is type-checked against rclnodejs's API shape (./rclnodejs-api.ts) but never run here.
 * Remaps are resolved by Tether (names.ts) before topics reach rclnodejs, so launch remaps behave the same.
 */
import { Subject } from "rxjs";
import { NotAvailableError } from "../core/errors.js";
import type { MessageOf, Time } from "../msgs/types.js";
import {
  NodeError,
  resolveQos,
  type Logger,
  type Node,
  type ParameterDescriptor,
  type ParameterValue,
  type Publisher,
  type PublisherOptions,
  type QoS,
  type RosClock,
  type Subscription,
  type SubscriptionOptions,
  type Timer,
} from "./node.js";
import { resolveTopicName, type RemapRule } from "./names.js";
import { parameterKind } from "./parameters.js";
import {
  RCL_QOS,
  RclParameterType,
  type RclNode,
  type RclnodejsModule,
  type RclParameter,
  type RclTime,
} from "./rclnodejs-api.js";

export const RCLNODEJS_HINT = "source /opt/ros/<distro>/setup.bash and npm install rclnodejs";

let loaded: Promise<RclnodejsModule> | undefined;

/** Imports and initializes rclnodejs once; NotAvailableError when it (or ROS 2) is missing. */
export function loadRclnodejs(): Promise<RclnodejsModule> {
  loaded ??= (async () => {
    const specifier = "rclnodejs";
    let mod: RclnodejsModule;
    try {
      const imported = (await import(specifier)) as { default?: RclnodejsModule } & RclnodejsModule;
      mod = imported.default ?? imported;
    } catch (cause) {
      throw new NotAvailableError("ROS 2 / rclnodejs", `not found: ${RCLNODEJS_HINT}`, { cause });
    }
    await mod.init();
    return mod;
  })();
  const p = loaded;
  p.catch(() => {
    if (loaded === p) loaded = undefined;
  });
  return p;
}

function toRclQos(rcl: RclnodejsModule, q: QoS) {
  return new rcl.QoS(
    RCL_QOS.HISTORY_KEEP_LAST,
    q.depth,
    q.reliability === "reliable" ? RCL_QOS.RELIABILITY_RELIABLE : RCL_QOS.RELIABILITY_BEST_EFFORT,
    q.durability === "transient_local" ? RCL_QOS.DURABILITY_TRANSIENT_LOCAL : RCL_QOS.DURABILITY_VOLATILE,
  );
}

function rclParameterType(value: ParameterValue): RclParameterType {
  switch (parameterKind(value)) {
    case "bool":
      return RclParameterType.PARAMETER_BOOL;
    case "number":
      return Number.isInteger(value) ? RclParameterType.PARAMETER_INTEGER : RclParameterType.PARAMETER_DOUBLE;
    case "string":
      return RclParameterType.PARAMETER_STRING;
    case "bool[]":
      return RclParameterType.PARAMETER_BOOL_ARRAY;
    case "number[]":
      return (value as number[]).every(Number.isInteger)
        ? RclParameterType.PARAMETER_INTEGER_ARRAY
        : RclParameterType.PARAMETER_DOUBLE_ARRAY;
    case "string[]":
    case "[]":
      return RclParameterType.PARAMETER_STRING_ARRAY;
    default:
      return RclParameterType.PARAMETER_NOT_SET;
  }
}

function fromRclTime(t: RclTime): Time {
  const { seconds, nanoseconds } = t.secondsAndNanoseconds;
  return { sec: seconds, nanosec: nanoseconds };
}

function fromRclValue(value: unknown): ParameterValue {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    return Array.from(value as ArrayLike<unknown>, (v) =>
      typeof v === "bigint" ? Number(v) : v,
    ) as ParameterValue;
  }
  return value as ParameterValue;
}

/** Wraps an rclnodejs node in Tether's Node interface. */
export class RclnodejsNode implements Node {
  constructor(
    private readonly rcl: RclnodejsModule,
    private readonly node: RclNode,
    private readonly remaps: readonly RemapRule[],
  ) {}

  name(): string {
    return this.node.name();
  }
  namespace(): string {
    return this.node.namespace();
  }
  fullyQualifiedName(): string {
    return this.node.getFullyQualifiedName();
  }
  resolveTopicName(topic: string): string {
    return resolveTopicName(topic, this.name(), this.namespace(), this.remaps);
  }

  createPublisher<K extends string>(
    typeName: K,
    topic: string,
    options: PublisherOptions = {},
  ): Publisher<MessageOf<K>> {
    const qos = resolveQos(options.qos);
    const pub = this.node.createPublisher(typeName, this.resolveTopicName(topic), {
      qos: toRclQos(this.rcl, qos),
    });
    return {
      topic: pub.topic,
      typeName,
      publish: (m) => pub.publish(m),
      subscriptionCount: () => pub.subscriptionCount(),
    };
  }

  createSubscription<K extends string>(
    typeName: K,
    topic: string,
    options: SubscriptionOptions,
    callback: (message: MessageOf<K>) => void,
  ): Subscription<MessageOf<K>> {
    const qos = resolveQos(options.qos);
    const subject = new Subject<MessageOf<K>>();
    const sub = this.node.createSubscription(
      typeName,
      this.resolveTopicName(topic),
      { qos: toRclQos(this.rcl, qos) },
      (m) => {
        callback(m as MessageOf<K>);
        subject.next(m as MessageOf<K>);
      },
    );
    return {
      topic: sub.topic,
      typeName,
      observable$: subject.asObservable(),
      publisherCount: () => sub.publisherCount(),
    };
  }

  createTimer(periodMs: number, callback: () => void): Timer {
    const t = this.node.createTimer(BigInt(Math.round(periodMs * 1e6)), callback);
    return { periodMs, cancel: () => t.cancel(), isCanceled: () => t.isCanceled() };
  }

  declareParameter<V extends ParameterValue>(
    name: string,
    defaultValue: V,
    descriptor?: ParameterDescriptor,
  ): V {
    if (descriptor?.readOnly === true) {
      this.getLogger().debug(
        `parameter ${name}: read-only descriptors are enforced by the embedded runtime only`,
      );
    }
    const p = this.node.declareParameter(
      new this.rcl.Parameter(name, rclParameterType(defaultValue), defaultValue),
    );
    return fromRclValue(p.value) as V;
  }
  hasParameter(name: string): boolean {
    return this.node.hasParameter(name);
  }
  getParameter<V extends ParameterValue = ParameterValue>(name: string): V {
    if (!this.node.hasParameter(name))
      throw new NodeError(this.fullyQualifiedName(), `parameter "${name}" is not declared`);
    return fromRclValue(this.node.getParameter(name).value) as V;
  }
  setParameter(name: string, value: ParameterValue): void {
    const r = this.node.setParameter(new this.rcl.Parameter(name, rclParameterType(value), value));
    if (!r.successful)
      throw new NodeError(this.fullyQualifiedName(), `cannot set parameter "${name}": ${r.reason}`);
  }
  getParameters(): Record<string, ParameterValue> {
    return Object.fromEntries(
      this.node.getParameters().map((p: RclParameter) => [p.name, fromRclValue(p.value)]),
    );
  }

  getLogger(): Logger {
    const l = this.node.getLogger();
    return {
      debug: (m) => void l.debug(m),
      info: (m) => void l.info(m),
      warn: (m) => void l.warn(m),
      error: (m) => void l.error(m),
    };
  }
  getClock(): RosClock {
    const clock = this.node.getClock();
    const useSimTime =
      this.node.hasParameter("use_sim_time") && this.node.getParameter("use_sim_time").value === true;
    return {
      type: "ROS_TIME",
      useSimTime,
      now: () => fromRclTime(clock.now()),
      nowSeconds: () => {
        const t = fromRclTime(clock.now());
        return t.sec + t.nanosec * 1e-9;
      },
    };
  }
  now(): Time {
    return fromRclTime(this.node.now());
  }
  destroy(): void {
    this.node.destroy();
  }
}

export interface RclnodejsNodeOptions {
  namespace?: string;
  parameters?: Record<string, ParameterValue>;
  remaps?: readonly RemapRule[];
}

/** Creates a spinning rclnodejs node wrapped as a Tether Node (parameters become parameter overrides). */
export async function createRclnodejsNode(name: string, options: RclnodejsNodeOptions = {}): Promise<Node> {
  const rcl = await loadRclnodejs();
  const nodeOptions = new rcl.NodeOptions();
  nodeOptions.parameterOverrides = Object.entries(options.parameters ?? {}).map(
    ([k, v]) => new rcl.Parameter(k, rclParameterType(v), v),
  );
  const node = rcl.createNode(name, options.namespace ?? "", undefined, nodeOptions);
  node.spin();
  return new RclnodejsNode(rcl, node, options.remaps ?? []);
}
