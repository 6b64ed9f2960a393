/**
 * The parts of rclnodejs's public API (types/*.d.ts of RobotWebTools/rclnodejs, 1.x/2.x) the adapter uses,
 * written out so the adapter type-checks without rclnodejs installed. Names and signatures follow the
 * published declarations: Node, Publisher, Subscription, Timer, Parameter, ParameterType, QoS, Clock, Time.
 */

export const enum RclParameterType {
  PARAMETER_NOT_SET = 0,
  PARAMETER_BOOL = 1,
  PARAMETER_INTEGER = 2,
  PARAMETER_DOUBLE = 3,
  PARAMETER_STRING = 4,
  PARAMETER_BYTE_ARRAY = 5,
  PARAMETER_BOOL_ARRAY = 6,
  PARAMETER_INTEGER_ARRAY = 7,
  PARAMETER_DOUBLE_ARRAY = 8,
  PARAMETER_STRING_ARRAY = 9,
}

/** QoS.HistoryPolicy / ReliabilityPolicy / DurabilityPolicy values. */
export const RCL_QOS = {
  HISTORY_KEEP_LAST: 1,
  RELIABILITY_RELIABLE: 1,
  RELIABILITY_BEST_EFFORT: 2,
  DURABILITY_TRANSIENT_LOCAL: 1,
  DURABILITY_VOLATILE: 2,
} as const;

export interface RclParameter {
  readonly name: string;
  readonly type: RclParameterType;
  value: unknown;
}
export interface RclParameterConstructor {
  new (name: string, type: RclParameterType, value?: unknown): RclParameter;
}

export interface RclQoS {
  history: number;
  depth: number;
  durability: number;
}
export interface RclQoSConstructor {
  new (history?: number, depth?: number, reliability?: number, durability?: number): RclQoS;
}

export interface RclOptions {
  enableTypedArray?: boolean;
  qos?: RclQoS | string;
}

export interface RclPublisher {
  readonly topic: string;
  publish(message: unknown): void;
  subscriptionCount(): number;
}
export interface RclSubscription {
  readonly topic: string;
  publisherCount(): number;
}
export interface RclTimer {
  readonly period: bigint;
  cancel(): void;
  isCanceled(): boolean;
}
export interface RclTime {
  readonly secondsAndNanoseconds: { seconds: number; nanoseconds: number };
}
export interface RclClock {
  now(): RclTime;
}
export interface RclLogging {
  debug(message: string): boolean;
  info(message: string): boolean;
  warn(message: string): boolean;
  error(message: string): boolean;
}

export interface RclNode {
  name(): string;
  namespace(): string;
  getFullyQualifiedName(): string;
  createPublisher(typeClass: string, topic: string, options?: RclOptions): RclPublisher;
  createSubscription(
    typeClass: string,
    topic: string,
    options: RclOptions,
    callback: (message: unknown) => void,
  ): RclSubscription;
  createTimer(period: bigint, callback: () => void): RclTimer;
  declareParameter(parameter: RclParameter, descriptor?: unknown, ignoreOverride?: boolean): RclParameter;
  hasParameter(name: string): boolean;
  getParameter(name: string): RclParameter;
  getParameters(names?: string[]): RclParameter[];
  setParameter(parameter: RclParameter): { successful: boolean; reason: string };
  getLogger(): RclLogging;
  getClock(): RclClock;
  now(): RclTime;
  spin(timeout?: number): void;
  destroy(): void;
}

export interface RclNodeOptions {
  parameterOverrides: RclParameter[];
}
export interface RclNodeOptionsConstructor {
  new (): RclNodeOptions;
}

export interface RclnodejsModule {
  init(): Promise<void>;
  shutdown(): void;
  isShutdown(): boolean;
  createNode(nodeName: string, namespace?: string, context?: unknown, options?: RclNodeOptions): RclNode;
  Parameter: RclParameterConstructor;
  NodeOptions: RclNodeOptionsConstructor;
  QoS: RclQoSConstructor;
}
