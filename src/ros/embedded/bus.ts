/**
 * The in-process bus: topics with one message type each, publishers and subscriptions matched by QoS,
 * per-subscription keep-last queues drained by one executor. Messages travel by reference (no
 * serialization); publishers validate shape against the registry's definition.
 *
 * QoS semantics, in-process:
 * - depth: each subscription queues at most `depth` undelivered messages; older ones are dropped
 *   (keep-last), as a slow subscriber would see under ROS 2.
 * - reliability: matching follows ROS 2 (a reliable subscription does not connect to a best-effort
 *   publisher; both sides are warned). In one process nothing is lost in transit, so reliable and
 *   best-effort differ only by matching and both obey keep-last.
 * - durability: a transient-local publisher keeps its last `depth` messages and hands them to each
 *   transient-local subscription that joins later; a transient-local subscription does not match a
 *   volatile publisher.
 */
import { Subject } from "rxjs";
import { messageValidator, completeMessage, type MessageValidator } from "../../msgs/validate.js";
import { normalizeTypeName } from "../../msgs/registry.js";
import { TopicError, qosIncompatibility, type QoS } from "../node.js";
import { ServiceRegistry } from "./services.js";

export interface EndpointOwner {
  /** Fully qualified node name. */
  readonly fullName: string;
  warn(message: string): void;
  reportError(where: string, err: unknown): void;
}

export class PubEndpoint {
  matched: SubEndpoint[] = [];
  /** Last `depth` messages, kept only for transient-local publishers. */
  readonly latched: unknown[] = [];
  published = 0;
  destroyed = false;

  constructor(
    readonly topic: TopicEntry,
    readonly qos: QoS,
    readonly owner: EndpointOwner,
  ) {}
}

export class SubEndpoint {
  /** Ring buffer of undelivered messages (capacity = depth). */
  private readonly ring: unknown[];
  private head = 0;
  private count = 0;
  scheduled = false;
  received = 0;
  dropped = 0;
  destroyed = false;
  readonly subject = new Subject<unknown>();

  constructor(
    readonly topic: TopicEntry,
    readonly qos: QoS,
    readonly owner: EndpointOwner,
    readonly callback: (message: unknown) => void,
  ) {
    this.ring = new Array<unknown>(qos.depth);
  }

  enqueue(message: unknown): void {
    const depth = this.ring.length;
    if (this.count === depth) {
      this.ring[this.head] = message;
      this.head = (this.head + 1) % depth;
      this.dropped++;
    } else {
      this.ring[(this.head + this.count) % depth] = message;
      this.count++;
    }
  }

  /** Delivers what is queued now (messages queued by the callbacks wait for the next round). */
  drain(): void {
    let n = this.count;
    const depth = this.ring.length;
    while (n-- > 0 && this.count > 0 && !this.destroyed) {
      const message = this.ring[this.head];
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % depth;
      this.count--;
      this.received++;
      try {
        this.callback(message);
        this.subject.next(message);
      } catch (err) {
        this.owner.reportError(`subscription callback on ${this.topic.name}`, err);
      }
    }
  }

  pending(): number {
    return this.count;
  }
}

export class TopicEntry {
  readonly publishers = new Set<PubEndpoint>();
  readonly subscriptions = new Set<SubEndpoint>();
  readonly validator: MessageValidator;

  constructor(
    readonly name: string,
    readonly typeName: string,
  ) {
    this.validator = messageValidator(typeName);
  }

  isEmpty(): boolean {
    return this.publishers.size === 0 && this.subscriptions.size === 0;
  }
}

/** Runs subscription callbacks: one round per setImmediate, so I/O and wall timers are never starved. */
export class Executor {
  private ready: SubEndpoint[] = [];
  private immediate: NodeJS.Immediate | undefined;
  private stopped = false;

  schedule(sub: SubEndpoint): void {
    if (sub.scheduled) return;
    sub.scheduled = true;
    this.ready.push(sub);
    if (this.immediate === undefined && !this.stopped) this.immediate = setImmediate(() => this.round());
  }

  /** One round: drains every subscription that was ready when it started. Returns how many it drained. */
  round(): number {
    this.immediate = undefined;
    const batch = this.ready;
    this.ready = [];
    for (const sub of batch) {
      sub.scheduled = false;
      sub.drain();
      if (sub.pending() > 0 && !sub.destroyed) this.schedule(sub);
    }
    return batch.length;
  }

  /** Synchronously runs rounds until nothing is pending (or maxRounds), for tests and shutdown. */
  spinSome(maxRounds = 1000): number {
    let rounds = 0;
    while (this.ready.length > 0 && rounds < maxRounds) {
      if (this.immediate !== undefined) {
        clearImmediate(this.immediate);
        this.immediate = undefined;
      }
      this.round();
      rounds++;
    }
    if (this.ready.length > 0 && this.immediate === undefined && !this.stopped)
      this.immediate = setImmediate(() => this.round());
    return rounds;
  }

  idle(): boolean {
    return this.ready.length === 0;
  }

  stop(): void {
    this.stopped = true;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    this.ready = [];
  }
}

export class Bus {
  readonly topics = new Map<string, TopicEntry>();
  readonly executor = new Executor();
  readonly services = new ServiceRegistry();

  private topicFor(name: string, typeName: string, who: string): TopicEntry {
    const type = normalizeTypeName(typeName);
    let topic = this.topics.get(name);
    if (topic === undefined) {
      topic = new TopicEntry(name, type);
      this.topics.set(name, topic);
    } else if (topic.typeName !== type) {
      const users = [...topic.publishers, ...topic.subscriptions].map((e) => e.owner.fullName);
      throw new TopicError(
        name,
        `${who} uses type ${type}, but the topic already carries ${topic.typeName} (used by ${[...new Set(users)].join(", ")})`,
        {
          hint: "a topic keeps one message type; remap one side or use another topic name",
        },
      );
    }
    return topic;
  }

  addPublisher(name: string, typeName: string, qos: QoS, owner: EndpointOwner): PubEndpoint {
    const topic = this.topicFor(name, typeName, `publisher of ${owner.fullName}`);
    const pub = new PubEndpoint(topic, qos, owner);
    topic.publishers.add(pub);
    for (const sub of topic.subscriptions) this.connect(pub, sub, true);
    return pub;
  }

  addSubscription(
    name: string,
    typeName: string,
    qos: QoS,
    owner: EndpointOwner,
    callback: (m: unknown) => void,
  ): SubEndpoint {
    const topic = this.topicFor(name, typeName, `subscription of ${owner.fullName}`);
    const sub = new SubEndpoint(topic, qos, owner, callback);
    topic.subscriptions.add(sub);
    for (const pub of topic.publishers) this.connect(pub, sub, false);
    return sub;
  }

  private connect(pub: PubEndpoint, sub: SubEndpoint, newPublisher: boolean): void {
    const why = qosIncompatibility(pub.qos, sub.qos);
    if (why !== undefined) {
      const msg = `incompatible QoS on ${pub.topic.name} between publisher ${pub.owner.fullName} and subscription ${sub.owner.fullName}: ${why}; no messages will be delivered`;
      pub.owner.warn(msg);
      if (sub.owner !== pub.owner) sub.owner.warn(msg);
      return;
    }
    pub.matched = [...pub.matched, sub];
    // Late joiners of a transient-local publisher get its latched history.
    if (!newPublisher && sub.qos.durability === "transient_local" && pub.latched.length > 0) {
      for (const m of pub.latched) sub.enqueue(m);
      this.executor.schedule(sub);
    }
  }

  publish(pub: PubEndpoint, message: unknown): void {
    if (pub.destroyed)
      throw new TopicError(pub.topic.name, `publisher of ${pub.owner.fullName} was destroyed`);
    let msg = message;
    if (pub.topic.validator.check(message, pub.topic.name))
      msg = completeMessage(pub.topic.typeName, message);
    pub.published++;
    if (pub.qos.durability === "transient_local") {
      pub.latched.push(msg);
      if (pub.latched.length > pub.qos.depth) pub.latched.shift();
    }
    const subs = pub.matched;
    for (let i = 0; i < subs.length; i++) {
      subs[i].enqueue(msg);
      this.executor.schedule(subs[i]);
    }
  }

  removePublisher(pub: PubEndpoint): void {
    pub.destroyed = true;
    pub.topic.publishers.delete(pub);
    this.dropIfEmpty(pub.topic);
  }

  removeSubscription(sub: SubEndpoint): void {
    sub.destroyed = true;
    sub.topic.subscriptions.delete(sub);
    for (const pub of sub.topic.publishers) pub.matched = pub.matched.filter((s) => s !== sub);
    sub.subject.complete();
    this.dropIfEmpty(sub.topic);
  }

  private dropIfEmpty(topic: TopicEntry): void {
    if (topic.isEmpty() && this.topics.get(topic.name) === topic) this.topics.delete(topic.name);
  }
}
