/**
 * rclnodejs's own TypeScript declarations (node_modules/rclnodejs/types), the only types the adapter uses.
 * rclnodejs is an optional dependency that installs only where ROS 2 is sourced: where it is absent these
 * names are `any`, so the rest of Tether still type-checks; CI installs it, so the adapter is checked there.
 * ts-ignore (not ts-expect-error) because the missing-module error exists only without rclnodejs.
 */
/* eslint-disable @typescript-eslint/ban-ts-comment */

// @ts-ignore: absent without ROS 2
export type Rclnodejs = typeof import("rclnodejs");
// @ts-ignore: absent without ROS 2
export type RclNode = import("rclnodejs").Node;
// @ts-ignore: absent without ROS 2
export type RclParameter = import("rclnodejs").Parameter;
// @ts-ignore: absent without ROS 2
export type RclParameterType = import("rclnodejs").ParameterType;
// @ts-ignore: absent without ROS 2
export type RclMessageTypeName = import("rclnodejs").MessageTypeClassName;
// @ts-ignore: absent without ROS 2
export type RclServiceTypeName = import("rclnodejs").ServiceTypeClassName;
// @ts-ignore: absent without ROS 2
export type RclServiceResponse = import("rclnodejs").ServiceResponse<RclServiceTypeName>;
// @ts-ignore: absent without ROS 2
export type RclQoS = import("rclnodejs").QoS;
// @ts-ignore: absent without ROS 2
export type RclTime = import("rclnodejs").Time;
// @ts-ignore: absent without ROS 2
export type RclMessageInfo = import("rclnodejs").MessageInfo;
