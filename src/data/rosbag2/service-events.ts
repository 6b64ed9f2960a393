/**
 * Service event topics: rosbag2 (Iron and newer) records a service as the topic `<service>/_service_event` of
 * type `<pkg>/srv/<Srv>_Event`, but stores only the `.srv` text as its definition (MCAP schema encoding
 * "unknown", the `.db3` `message_definitions` row keyed by `<pkg>/srv/<Srv>`). The event message is built
 * from it the way rosidl generates `<Srv>_Event`: the event info, then at most one request and one response.
 */
import { DatasetFormatError } from "../../core/errors.js";

export const SERVICE_EVENT_SUFFIX = "/_service_event";

/**
 * service_msgs/msg/ServiceEventInfo as ROS 2 Iron, Jazzy and Rolling define it: rosbag2 does not store it,
 * and the builtin tables lack it. test/data/rosbag2/service-events.test.ts compares it with ROS 2's own file.
 */
export const SERVICE_EVENT_INFO = `uint8 REQUEST_SENT = 0
uint8 REQUEST_RECEIVED = 1
uint8 RESPONSE_SENT = 2
uint8 RESPONSE_RECEIVED = 3
uint8 event_type
builtin_interfaces/Time stamp
char[16] client_gid
int64 sequence_number
`;

const SEPARATOR = "=".repeat(80);

/** "pkg/srv/Name_Event" -> "pkg/srv/Name"; undefined for other types. */
export function serviceTypeOf(type: string): string | undefined {
  const m = /^([^/]+)\/srv\/(.+)_Event$/.exec(type);
  return m ? `${m[1]}/srv/${m[2]}` : undefined;
}

/** The service a topic records, when it is a service event topic. */
export function serviceOf(topic: string, type: string): { name: string; type: string } | undefined {
  const serviceType = serviceTypeOf(type);
  if (!serviceType || !topic.endsWith(SERVICE_EVENT_SUFFIX)) return undefined;
  return { name: topic.slice(0, -SERVICE_EVENT_SUFFIX.length) || "/", type: serviceType };
}

/** Splits a concatenated definition ("====" lines between sections) into its sections. */
function sections(text: string): string[] {
  return text
    .split(/^=+[ \t]*$/m)
    .map((s) => s.replace(/^\s*\n/, ""))
    .filter((s) => s.trim().length > 0);
}

/**
 * The ros2msg definition of `<Srv>_Event` from the stored `.srv` text ("SRV: pkg/srv/Name" section with
 * request `---` response, then the "MSG:" sections of the types it uses). Throws naming the file and topic
 * when the text is not a service definition.
 */
export function serviceEventDefinition(
  file: string,
  topic: string,
  eventType: string,
  srvText: string,
): { encoding: "ros2msg"; text: string } {
  const serviceType = serviceTypeOf(eventType);
  if (!serviceType)
    throw new DatasetFormatError(file, undefined, `topic ${topic}: ${eventType} is not a service event type`);
  const parts = sections(srvText);
  const srvIndex = parts.findIndex((p) => !/^MSG:\s/.test(p));
  if (srvIndex < 0)
    throw new DatasetFormatError(
      file,
      undefined,
      `topic ${topic}: the bag's definition of ${serviceType} has no service section`,
    );
  const body = parts[srvIndex].replace(/^SRV:.*\n/, "");
  const split = /^---[ \t]*$/m.exec(body);
  if (!split)
    throw new DatasetFormatError(
      file,
      undefined,
      `topic ${topic}: the bag's definition of ${serviceType} has no "---" line between request and response`,
    );
  const request = body.slice(0, split.index);
  const response = body.slice(split.index + split[0].length).replace(/^\n/, "");
  const [pkg, , name] = serviceType.split("/");
  const text = [
    `service_msgs/ServiceEventInfo info\n${pkg}/${name}_Request[<=1] request\n${pkg}/${name}_Response[<=1] response\n`,
    `MSG: service_msgs/ServiceEventInfo\n${SERVICE_EVENT_INFO}`,
    `MSG: ${pkg}/${name}_Request\n${request}`,
    `MSG: ${pkg}/${name}_Response\n${response}`,
    ...parts.filter((_, i) => i !== srvIndex),
  ].join(`${SEPARATOR}\n`);
  return { encoding: "ros2msg", text };
}

/** A decoded `<Srv>_Event` message (the fields Tether reads). */
export interface ServiceEvent {
  info: { event_type: number; sequence_number: bigint; stamp: { sec: number; nanosec: number } };
  request: unknown[];
  response: unknown[];
}

/** REQUEST_SENT / REQUEST_RECEIVED count as requests, RESPONSE_SENT / RESPONSE_RECEIVED as responses. */
export function eventKind(event: ServiceEvent): "request" | "response" {
  return event.info.event_type <= 1 ? "request" : "response";
}
