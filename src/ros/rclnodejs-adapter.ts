/**
 * The Node API on real ROS 2 through rclnodejs (optional dependency), typed by rclnodejs's own declarations.
 * Loaded dynamically: without ROS 2 sourced and rclnodejs installed, loadRclnodejs() throws
 * NotAvailableError. Remaps and namespaces are resolved by Tether (names.ts) before topics reach rclnodejs,
 * so launch remaps behave as in the embedded runtime. Where rclnodejs's declarations and its runtime
 * differ (publisherCount/subscriptionCount are getters, not the methods the types declare), the adapter
 * uses the graph queries both agree on (countPublishers/countSubscribers).
 */
import { Subject } from "rxjs";
import { NotAvailableError } from "../core/errors.js";
import type { MessageOf, ServiceRequestOf, ServiceResponseOf, Time } from "../msgs/types.js";
import { timeFromNanos } from "../msgs/time.js";
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
  type Service,
  type ServiceClient,
  type Subscription,
  type MessageInfo,
  type SubscriptionOptions,
  type Timer,
} from "./node.js";
import { resolveTopicName, type RemapRule } from "./names.js";
import { ParameterStore, parameterKind } from "./parameters.js";
import type {
  Rclnodejs,
  RclMessageTypeName,
  RclNode,
  RclServiceResponse,
  RclServiceTypeName,
  RclParameter,
  RclParameterType,
  RclQoS,
  RclTime,
  RclMessageInfo,
} from "./rclnodejs-types.js";

export const RCLNODEJS_HINT = "source /opt/ros/<distro>/setup.bash and npm install rclnodejs";

let loaded: Promise<Rclnodejs> | undefined;

/**
 * Imports and initializes rclnodejs once; NotAvailableError when it (or ROS 2) is missing. rcl gets no
 * command line: Tether parses --ros-args itself (a global `__node:=` would rename every node of a launch),
 * and rclnodejs's own SIGINT handler is removed so Tether closes its nodes (recorders flush) before rcl
 * shuts down.
 */
export function loadRclnodejs(): Promise<Rclnodejs> {
  loaded ??= (async () => {
    // Importing rclnodejs where ROS 2's libraries are not on the library path makes it run
    // `npm run rebuild`, which deletes its compiled binary before failing: never import it unsourced.
    if (!process.env.AMENT_PREFIX_PATH || !process.env.ROS_DISTRO) {
      throw new NotAvailableError("ROS 2 / rclnodejs", `ROS 2 is not sourced: ${RCLNODEJS_HINT}`);
    }
    const specifier = "rclnodejs";
    let mod: Rclnodejs;
    try {
      const imported = (await import(specifier)) as { default?: Rclnodejs } & Rclnodejs;
      mod = imported.default ?? imported;
    } catch (cause) {
      throw new NotAvailableError("ROS 2 / rclnodejs", `not found: ${RCLNODEJS_HINT}`, { cause });
    }
    mod.removeSignalHandlers();
    await mod.init(undefined, []);
    return mod;
  })();
  const p = loaded;
  p.catch(() => {
    if (loaded === p) loaded = undefined;
  });
  return p;
}

function toRclQos(rcl: Rclnodejs, q: QoS): RclQoS {
  const { HistoryPolicy, ReliabilityPolicy, DurabilityPolicy } = rcl.QoS;
  return new rcl.QoS(
    HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
    q.depth,
    q.reliability === "reliable"
      ? ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE
      : ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT,
    q.durability === "transient_local"
      ? DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL
      : DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE,
  );
}

type ParameterTypeName =
  | "PARAMETER_NOT_SET"
  | "PARAMETER_BOOL"
  | "PARAMETER_INTEGER"
  | "PARAMETER_DOUBLE"
  | "PARAMETER_STRING"
  | "PARAMETER_BOOL_ARRAY"
  | "PARAMETER_INTEGER_ARRAY"
  | "PARAMETER_DOUBLE_ARRAY"
  | "PARAMETER_STRING_ARRAY";

/**
 * rclnodejs's ParameterType object. Its declarations make it an ambient const enum, whose members
 * isolatedModules cannot read, so it is read as the plain object it is at run time.
 */
function parameterTypes(rcl: Rclnodejs): Record<ParameterTypeName, RclParameterType> {
  return (rcl as unknown as { ParameterType: Record<ParameterTypeName, RclParameterType> }).ParameterType;
}

/** The ROS 2 type a value is declared or set with; a declared double keeps whole numbers double. */
function rclParameterType(rcl: Rclnodejs, value: ParameterValue, double: boolean): RclParameterType {
  const T = parameterTypes(rcl);
  switch (parameterKind(value)) {
    case "bool":
      return T.PARAMETER_BOOL;
    case "number":
      return double || !Number.isInteger(value) ? T.PARAMETER_DOUBLE : T.PARAMETER_INTEGER;
    case "string":
      return T.PARAMETER_STRING;
    case "bool[]":
      return T.PARAMETER_BOOL_ARRAY;
    case "number[]":
      return double || !(value as number[]).every(Number.isInteger)
        ? T.PARAMETER_DOUBLE_ARRAY
        : T.PARAMETER_INTEGER_ARRAY;
    case "string[]":
    case "[]":
      return T.PARAMETER_STRING_ARRAY;
    default:
      return T.PARAMETER_NOT_SET;
  }
}

/** rclnodejs holds ROS 2 integers as bigint. */
function toRclValue(rcl: Rclnodejs, type: RclParameterType, value: ParameterValue): unknown {
  const T = parameterTypes(rcl);
  if (type === T.PARAMETER_INTEGER) return BigInt(value as number);
  if (type === T.PARAMETER_INTEGER_ARRAY) return (value as number[]).map((v) => BigInt(v));
  return value;
}

function isWhole(value: ParameterValue): boolean {
  if (typeof value === "number") return Number.isInteger(value);
  if (Array.isArray(value)) return value.every((v) => typeof v !== "number" || Number.isInteger(v));
  return true;
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

function fromRclTime(t: RclTime): Time {
  return timeFromNanos(t.nanoseconds);
}

/** When a subscription callback last ran in this process (performance.now()), for untilQuiet. */
let lastDeliveryMs = 0;

/**
 * Resolves once no subscription callback has run for `quietMs` (at most `maxMs`): at shutdown, messages a
 * publisher already sent may still wait in the DDS reader caches of a node that lags (a recorder behind a
 * fast lock-step simulation); closing first would lose them.
 */
export async function untilQuiet(quietMs = 250, maxMs = 2000): Promise<void> {
  const start = performance.now();
  while (performance.now() - start < maxMs && performance.now() - lastDeliveryMs < quietMs)
    await new Promise((r) => setTimeout(r, Math.min(50, quietMs)));
}

/** Wraps an rclnodejs node in Tether's Node interface. */
export class RclnodejsNode implements Node {
  /** Resolves declared values against the launch/-p overrides with the embedded runtime's rules. */
  private readonly declared: ParameterStore;
  private destroyed = false;
  /** Subscription callbacks of the current executor round (see dispatch). */
  private pending: { ts: bigint; seq: number; run: () => void; topic: string }[] = [];

  constructor(
    private readonly rcl: Rclnodejs,
    private readonly node: RclNode,
    private readonly remaps: readonly RemapRule[],
    overrides: Record<string, ParameterValue>,
  ) {
    this.declared = new ParameterStore(node.getFullyQualifiedName(), overrides);
  }

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
    const name = this.resolveTopicName(topic);
    const pub = this.node.createPublisher(typeName as RclMessageTypeName, name, {
      qos: toRclQos(this.rcl, qos),
    });
    return {
      topic: name,
      typeName,
      publish: (m) => pub.publish(m as never),
      subscriptionCount: () => this.node.countSubscribers(name),
    };
  }

  createSubscription<K extends string>(
    typeName: K,
    topic: string,
    options: SubscriptionOptions,
    callback: (message: MessageOf<K>, info?: MessageInfo) => void,
  ): Subscription<MessageOf<K>> {
    const qos = resolveQos(options.qos);
    const name = this.resolveTopicName(topic);
    const subject = new Subject<MessageOf<K>>();
    this.node.createSubscription(
      typeName as RclMessageTypeName,
      name,
      { qos: toRclQos(this.rcl, qos) },
      (m: unknown, info?: RclMessageInfo) => {
        const source = info?.sourceTimestamp;
        this.dispatch(
          source,
          () => {
            callback(m as MessageOf<K>, source === undefined ? {} : { sourceTimestampNs: BigInt(source) });
            subject.next(m as MessageOf<K>);
          },
          name,
        );
      },
    );
    return {
      topic: name,
      typeName,
      observable$: subject.asObservable(),
      publisherCount: () => this.node.countPublishers(name),
    };
  }

  /**
   * Runs subscription callbacks in publication order across topics. rclnodejs's executor takes one
   * message per ready subscription per round, in subscription order, so when a state and the command
   * sent before it are both waiting, the state would run first (a recorder then pairs the command with
   * the wrong state). Callbacks of one round are queued and run, sorted by the DDS source timestamp, in a
   * microtask right after the round.
   */
  private dispatch(sourceTimestamp: bigint | number | undefined, run: () => void, topic: string): void {
    if (this.pending.length === 0) queueMicrotask(() => this.flush());
    const ts = sourceTimestamp === undefined ? 0n : BigInt(sourceTimestamp);
    this.pending.push({ ts, seq: this.pending.length, run, topic });
  }
  private flush(): void {
    lastDeliveryMs = performance.now();
    const round = this.pending.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.seq - b.seq));
    this.pending = [];
    for (const p of round) {
      // An exception escaping into rclnodejs's executor would end the process; report it like the
      // embedded runtime does and keep the node alive.
      try {
        p.run();
      } catch (err) {
        this.node.getLogger().error(`callback on ${p.topic} failed: ${(err as Error).stack ?? String(err)}`);
      }
    }
  }

  createService<K extends string>(
    typeName: K,
    serviceName: string,
    handler: (request: ServiceRequestOf<K>) => ServiceResponseOf<K>,
  ): Service {
    const name = this.resolveTopicName(serviceName);
    // Parameters annotated so the file type-checks where rclnodejs (and so its declarations) is absent.
    this.node.createService(
      typeName as RclServiceTypeName,
      name,
      (request: unknown, response: RclServiceResponse) => {
        // A throwing handler sends no response (the caller times out), as an rclcpp server would; the node lives on.
        try {
          response.send(handler(request as ServiceRequestOf<K>) as never);
        } catch (err) {
          this.node.getLogger().error(`service ${name} failed: ${(err as Error).stack ?? String(err)}`);
        }
      },
    );
    return { serviceName: name, typeName };
  }

  createClient<K extends string>(
    typeName: K,
    serviceName: string,
  ): ServiceClient<ServiceRequestOf<K>, ServiceResponseOf<K>> {
    const name = this.resolveTopicName(serviceName);
    const client = this.node.createClient(typeName as RclServiceTypeName, name);
    return {
      serviceName: name,
      typeName,
      serviceAvailable: () => client.isServiceServerAvailable(),
      call: async (request, timeoutMs = 10_000) =>
        (await client.sendRequestAsync(request as never, { timeout: timeoutMs })) as ServiceResponseOf<K>,
    };
  }

  /** On the node's ROS clock, as in rclcpp: sim time when use_sim_time is true. */
  createTimer(periodMs: number, callback: () => void): Timer {
    if (!(periodMs > 0) || !Number.isFinite(periodMs))
      throw new NodeError(this.fullyQualifiedName(), `timer period must be > 0 ms, got ${periodMs}`);
    const t = this.node.createTimer(BigInt(Math.round(periodMs * 1e6)), () => {
      try {
        callback();
      } catch (err) {
        this.node.getLogger().error(`timer callback failed: ${(err as Error).stack ?? String(err)}`);
      }
    });
    return { periodMs, cancel: () => t.cancel(), isCanceled: () => t.isCanceled() };
  }

  declareParameter<V extends ParameterValue>(
    name: string,
    defaultValue: V,
    descriptor: ParameterDescriptor = {},
  ): V {
    const value = this.declared.declare(name, defaultValue, descriptor);
    // As in rclcpp, the default fixes the type: a fractional default (or double: true) declares a double
    // that a whole override (5) does not turn into an integer.
    const double = descriptor.double === true || !isWhole(defaultValue);
    const type = rclParameterType(this.rcl, value, double);
    const rclDescriptor = new this.rcl.ParameterDescriptor(
      name,
      type,
      descriptor.description ?? "",
      descriptor.readOnly === true,
    );
    const p = this.node.declareParameter(
      new this.rcl.Parameter(name, type, toRclValue(this.rcl, type, value)),
      rclDescriptor,
      true,
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
    if (!this.node.hasParameter(name))
      throw new NodeError(this.fullyQualifiedName(), `cannot set parameter "${name}": it is not declared`);
    const declaredType = this.node.getParameter(name).type;
    const T = parameterTypes(this.rcl);
    const double = declaredType === T.PARAMETER_DOUBLE || declaredType === T.PARAMETER_DOUBLE_ARRAY;
    const type = rclParameterType(this.rcl, value, double);
    let r;
    try {
      r = this.node.setParameter(new this.rcl.Parameter(name, type, toRclValue(this.rcl, type, value)));
    } catch (cause) {
      throw new NodeError(this.fullyQualifiedName(), `cannot set parameter "${name}": ${String(cause)}`, {
        cause,
      });
    }
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
    const node = this.node;
    return {
      type: "ROS_TIME",
      get useSimTime() {
        return node.hasParameter("use_sim_time") && node.getParameter("use_sim_time").value === true;
      },
      now: () => fromRclTime(clock.now()),
      nowSeconds: () => Number(clock.now().nanoseconds) / 1e9,
    };
  }
  now(): Time {
    return fromRclTime(this.node.now());
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.node.destroy();
  }
}

export interface RclnodejsNodeOptions {
  namespace?: string;
  parameters?: Record<string, ParameterValue>;
  remaps?: readonly RemapRule[];
}

/**
 * Creates a spinning rclnodejs node wrapped as a Tether Node. use_sim_time is the one override rcl needs
 * at construction (the node's time source declares it); Tether applies the others when a node declares
 * them, with the declared ROS 2 type.
 */
export async function createRclnodejsNode(name: string, options: RclnodejsNodeOptions = {}): Promise<Node> {
  const rcl = await loadRclnodejs();
  const overrides = options.parameters ?? {};
  const nodeOptions = new rcl.NodeOptions();
  const useSimTime = overrides.use_sim_time;
  if (useSimTime !== undefined) {
    if (typeof useSimTime !== "boolean")
      throw new NodeError(name, `parameter "use_sim_time" must be a bool, got ${JSON.stringify(useSimTime)}`);
    nodeOptions.parameterOverrides = [
      new rcl.Parameter("use_sim_time", parameterTypes(rcl).PARAMETER_BOOL, useSimTime),
    ];
  }
  const rest = Object.fromEntries(Object.entries(overrides).filter(([k]) => k !== "use_sim_time"));
  const node = new rcl.Node(name, options.namespace ?? "", undefined, nodeOptions);
  node.spin();
  return new RclnodejsNode(rcl, node, options.remaps ?? [], rest);
}
