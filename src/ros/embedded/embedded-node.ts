/** A Node in the embedded runtime: endpoints on the shared bus, parameters, logger, clock and timers. */
import { Observable } from "rxjs";
import type {
  MessageOf,
  ServiceRequestOf,
  ServiceResponseOf,
  Time,
  Clock as ClockMsg,
} from "../../msgs/types.js";
import { timeFromNanos } from "../../msgs/time.js";
import {
  CLOCK_QOS,
  NodeError,
  resolveQos,
  type Logger,
  type Node,
  type ParameterDescriptor,
  type ParameterValue,
  type Publisher,
  type PublisherOptions,
  type RosClock,
  type Service,
  type ServiceClient,
  type Subscription,
  type MessageInfo,
  type SubscriptionOptions,
  type Timer,
} from "../node.js";
import { joinNamespace, resolveTopicName, type RemapRule } from "../names.js";
import { ParameterStore } from "../parameters.js";
import type { Bus, EndpointOwner, PubEndpoint, SubEndpoint } from "./bus.js";
import type { ServiceEntry } from "./services.js";

export interface EmbeddedNodeHost {
  readonly bus: Bus;
  wallNanos(): number;
  logger(fullName: string): Logger;
  reportError(node: string, where: string, err: unknown): void;
  forget(node: EmbeddedNode): void;
}

interface SimTimer {
  periodNs: number;
  dueNs: number | undefined;
  callback: () => void;
  canceled: boolean;
}

export class EmbeddedNode implements Node, EndpointOwner {
  readonly fullName: string;
  private readonly params: ParameterStore;
  private readonly log: Logger;
  private readonly pubs = new Set<PubEndpoint>();
  private readonly subs = new Set<SubEndpoint>();
  private readonly services = new Set<ServiceEntry>();
  private readonly wallTimers = new Set<NodeJS.Timeout>();
  private readonly simTimers: SimTimer[] = [];
  private clockSub: SubEndpoint | undefined;
  private simNs: number | undefined;
  private destroyed = false;
  private readonly clock: RosClock;

  constructor(
    private readonly host: EmbeddedNodeHost,
    private readonly nodeName: string,
    private readonly ns: string,
    overrides: Record<string, ParameterValue>,
    private readonly remaps: readonly RemapRule[],
    useSimTimeDefault: boolean,
  ) {
    this.fullName = joinNamespace(ns, nodeName);
    this.log = host.logger(this.fullName);
    this.params = new ParameterStore(this.fullName, overrides);
    const useSimTime = this.params.declare("use_sim_time", useSimTimeDefault);
    this.params.onChange((name, value) => {
      if (name === "use_sim_time") this.setSimTime(value === true);
    });
    this.setSimTime(useSimTime);
    const simTimeActive = (): boolean => this.clockSub !== undefined;
    this.clock = {
      type: "ROS_TIME",
      get useSimTime() {
        return simTimeActive();
      },
      now: () => this.now(),
      nowSeconds: () => this.nowNanos() / 1e9,
    };
  }

  name(): string {
    return this.nodeName;
  }
  namespace(): string {
    return this.ns;
  }
  fullyQualifiedName(): string {
    return this.fullName;
  }

  resolveTopicName(topic: string): string {
    return resolveTopicName(topic, this.nodeName, this.ns, this.remaps);
  }

  private alive(what: string): void {
    if (this.destroyed) throw new NodeError(this.fullName, `cannot ${what}: the node was destroyed`);
  }

  createPublisher<K extends string>(
    typeName: K,
    topic: string,
    options: PublisherOptions = {},
  ): Publisher<MessageOf<K>> {
    this.alive("create a publisher");
    const name = this.resolveTopicName(topic);
    const qos = resolveQos(options.qos);
    const bus = this.host.bus;
    const ep = bus.addPublisher(name, typeName, qos, this);
    this.pubs.add(ep);
    return {
      topic: name,
      typeName: ep.topic.typeName,
      publish: (message) => bus.publish(ep, message),
      subscriptionCount: () => ep.matched.length,
    };
  }

  createSubscription<K extends string>(
    typeName: K,
    topic: string,
    options: SubscriptionOptions,
    // No MessageInfo: the in-process bus delivers in publication order.
    callback: (message: MessageOf<K>, info?: MessageInfo) => void,
  ): Subscription<MessageOf<K>> {
    this.alive("create a subscription");
    const name = this.resolveTopicName(topic);
    const qos = resolveQos(options.qos);
    const ep = this.host.bus.addSubscription(name, typeName, qos, this, callback as (m: unknown) => void);
    this.subs.add(ep);
    return {
      topic: name,
      typeName: ep.topic.typeName,
      observable$: ep.subject.asObservable() as Observable<MessageOf<K>>,
      publisherCount: () => [...ep.topic.publishers].filter((p) => p.matched.includes(ep)).length,
    };
  }

  createService<K extends string>(
    typeName: K,
    serviceName: string,
    handler: (request: ServiceRequestOf<K>) => ServiceResponseOf<K>,
  ): Service {
    this.alive("create a service");
    const name = this.resolveTopicName(serviceName);
    const entry = this.host.bus.services.add(name, typeName, this, handler as (r: unknown) => unknown);
    this.services.add(entry);
    return { serviceName: name, typeName: entry.typeName };
  }

  createClient<K extends string>(
    typeName: K,
    serviceName: string,
  ): ServiceClient<ServiceRequestOf<K>, ServiceResponseOf<K>> {
    this.alive("create a client");
    const name = this.resolveTopicName(serviceName);
    const services = this.host.bus.services;
    return {
      serviceName: name,
      typeName,
      serviceAvailable: () => services.available(name, typeName),
      call: (request, timeoutMs = 10_000) =>
        services.call(this.fullName, name, typeName, request, timeoutMs) as Promise<ServiceResponseOf<K>>,
    };
  }

  createTimer(periodMs: number, callback: () => void): Timer {
    this.alive("create a timer");
    if (!(periodMs > 0) || !Number.isFinite(periodMs))
      throw new NodeError(this.fullName, `timer period must be > 0 ms, got ${periodMs}`);
    const guarded = (): void => {
      try {
        callback();
      } catch (err) {
        this.reportError("timer callback", err);
      }
    };
    if (this.clockSub !== undefined) {
      const t: SimTimer = {
        periodNs: Math.round(periodMs * 1e6),
        dueNs: undefined,
        callback: guarded,
        canceled: false,
      };
      if (this.simNs !== undefined) t.dueNs = this.simNs + t.periodNs;
      this.simTimers.push(t);
      return {
        periodMs,
        cancel: () => {
          t.canceled = true;
        },
        isCanceled: () => t.canceled,
      };
    }
    const handle = setInterval(guarded, periodMs);
    this.wallTimers.add(handle);
    let canceled = false;
    return {
      periodMs,
      cancel: () => {
        canceled = true;
        clearInterval(handle);
        this.wallTimers.delete(handle);
      },
      isCanceled: () => canceled,
    };
  }

  private setSimTime(on: boolean): void {
    if (on && this.clockSub === undefined) {
      const name = this.resolveTopicName("/clock");
      this.clockSub = this.host.bus.addSubscription(
        name,
        "rosgraph_msgs/msg/Clock",
        resolveQos(CLOCK_QOS),
        this,
        (m) => this.onClock(m as ClockMsg),
      );
    } else if (!on && this.clockSub !== undefined) {
      this.host.bus.removeSubscription(this.clockSub);
      this.clockSub = undefined;
      this.simNs = undefined;
    }
  }

  /** Sim time advances; due sim-time timers fire once each (missed periods are skipped, as in rcl). */
  private onClock(msg: ClockMsg): void {
    const ns = msg.clock.sec * 1e9 + msg.clock.nanosec;
    const jumpedBack = this.simNs !== undefined && ns < this.simNs;
    this.simNs = ns;
    for (let i = 0; i < this.simTimers.length; i++) {
      const t = this.simTimers[i];
      if (t.canceled) continue;
      if (t.dueNs === undefined || jumpedBack) {
        t.dueNs = ns + t.periodNs;
        continue;
      }
      if (ns >= t.dueNs) {
        t.dueNs += t.periodNs;
        if (t.dueNs <= ns) t.dueNs = ns + t.periodNs - ((ns - t.dueNs) % t.periodNs);
        t.callback();
      }
    }
  }

  private nowNanos(): number {
    if (this.clockSub !== undefined) return this.simNs ?? 0;
    return this.host.wallNanos();
  }

  now(): Time {
    return timeFromNanos(BigInt(Math.round(this.nowNanos())));
  }

  getClock(): RosClock {
    return this.clock;
  }

  declareParameter<V extends ParameterValue>(
    name: string,
    defaultValue: V,
    descriptor?: ParameterDescriptor,
  ): V {
    return this.params.declare(name, defaultValue, descriptor);
  }
  hasParameter(name: string): boolean {
    return this.params.has(name);
  }
  getParameter<V extends ParameterValue = ParameterValue>(name: string): V {
    return this.params.get<V>(name);
  }
  setParameter(name: string, value: ParameterValue): void {
    this.params.set(name, value);
  }
  getParameters(): Record<string, ParameterValue> {
    return this.params.all();
  }

  getLogger(): Logger {
    return this.log;
  }

  warn(message: string): void {
    this.log.warn(message);
  }

  reportError(where: string, err: unknown): void {
    this.host.reportError(this.fullName, where, err);
  }

  /** Endpoints of this node, for graph introspection. */
  endpoints(): { publishers: PubEndpoint[]; subscriptions: SubEndpoint[] } {
    const subscriptions = [...this.subs];
    if (this.clockSub !== undefined) subscriptions.push(this.clockSub);
    return { publishers: [...this.pubs], subscriptions };
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const h of this.wallTimers) clearInterval(h);
    this.wallTimers.clear();
    for (const t of this.simTimers) t.canceled = true;
    for (const p of this.pubs) this.host.bus.removePublisher(p);
    for (const s of this.subs) this.host.bus.removeSubscription(s);
    for (const s of this.services) this.host.bus.services.remove(s);
    this.services.clear();
    this.setSimTime(false);
    this.pubs.clear();
    this.subs.clear();
    this.host.forget(this);
  }
}
