/**
 * TypeScript shapes of the ROS 2 messages the stack uses, as plain objects shaped like rclnodejs's.
 * Numeric arrays may be plain arrays or typed arrays (rclnodejs hands out typed arrays for float64[]).
 */

/** builtin_interfaces/msg/Time */
export interface Time {
  sec: number;
  nanosec: number;
}

/** std_msgs/msg/Header */
export interface Header {
  stamp: Time;
  frame_id: string;
}

export type Float64Seq = number[] | Float64Array;

/** sensor_msgs/msg/JointState */
export interface JointState {
  header: Header;
  name: string[];
  position: Float64Seq;
  velocity: Float64Seq;
  effort: Float64Seq;
}

/** std_msgs/msg/MultiArrayDimension */
export interface MultiArrayDimension {
  label: string;
  size: number;
  stride: number;
}

/** std_msgs/msg/MultiArrayLayout */
export interface MultiArrayLayout {
  dim: MultiArrayDimension[];
  data_offset: number;
}

/** std_msgs/msg/Float64MultiArray (layout may be omitted when publishing; it defaults to empty). */
export interface Float64MultiArray {
  layout?: MultiArrayLayout;
  data: Float64Seq;
}

/** rosgraph_msgs/msg/Clock */
export interface Clock {
  clock: Time;
}

/** diagnostic_msgs/msg/KeyValue */
export interface KeyValue {
  key: string;
  value: string;
}

/** diagnostic_msgs/msg/DiagnosticStatus level constants. */
export const DIAGNOSTIC_LEVEL = { OK: 0, WARN: 1, ERROR: 2, STALE: 3 } as const;

/** diagnostic_msgs/msg/DiagnosticStatus */
export interface DiagnosticStatus {
  level: number;
  name: string;
  message: string;
  hardware_id: string;
  values: KeyValue[];
}

/** diagnostic_msgs/msg/DiagnosticArray */
export interface DiagnosticArray {
  header: Header;
  status: DiagnosticStatus[];
}

/** std_msgs/msg/String */
export interface StringMsg {
  data: string;
}

/** std_msgs/msg/Int32 */
export interface Int32Msg {
  data: number;
}

/** Type name -> TS shape, for typed publishers and subscriptions. */
export interface MessageTypeMap {
  "builtin_interfaces/msg/Time": Time;
  "std_msgs/msg/Header": Header;
  "sensor_msgs/msg/JointState": JointState;
  "std_msgs/msg/Float64MultiArray": Float64MultiArray;
  "rosgraph_msgs/msg/Clock": Clock;
  "diagnostic_msgs/msg/KeyValue": KeyValue;
  "diagnostic_msgs/msg/DiagnosticStatus": DiagnosticStatus;
  "diagnostic_msgs/msg/DiagnosticArray": DiagnosticArray;
  "std_msgs/msg/String": StringMsg;
  "std_msgs/msg/Int32": Int32Msg;
}

/** std_srvs/srv/Trigger's response (its request is empty). */
export interface TriggerResponse {
  success: boolean;
  message: string;
}

/** Service types Tether's nodes serve: request and response shapes. */
export interface ServiceTypeMap {
  "std_srvs/srv/Trigger": { request: Record<string, never>; response: TriggerResponse };
}
export type ServiceRequestOf<K extends string> = K extends keyof ServiceTypeMap
  ? ServiceTypeMap[K]["request"]
  : Record<string, unknown>;
export type ServiceResponseOf<K extends string> = K extends keyof ServiceTypeMap
  ? ServiceTypeMap[K]["response"]
  : Record<string, unknown>;

/** The TS shape for a type name; types outside the map (other registered types) are plain records. */
export type MessageOf<K extends string> = K extends keyof MessageTypeMap
  ? MessageTypeMap[K]
  : Record<string, unknown>;
