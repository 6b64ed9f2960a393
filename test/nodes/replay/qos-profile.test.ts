import { describe, expect, it } from "vitest";
import { qosFromProfile } from "../../../src/nodes/replay/replay-source.js";

// offered_qos_profiles as rosbag2 writes them: Jazzy's (policy names; copied from a `ros2 bag record` of
// a transient-local publisher) and Humble's (enum numbers).
const JAZZY = `- history: keep_last
  depth: 1
  reliability: reliable
  durability: transient_local
  deadline:
    sec: 9223372036
    nsec: 854775807
  lifespan:
    sec: 9223372036
    nsec: 854775807
  liveliness: automatic
  liveliness_lease_duration:
    sec: 9223372036
    nsec: 854775807
  avoid_ros_namespace_conventions: false
`;
const HUMBLE = `- history: 3
  depth: 0
  reliability: 2
  durability: 2
  deadline: {sec: 9223372036, nsec: 854775807}
  lifespan: {sec: 9223372036, nsec: 854775807}
  liveliness: 1
  liveliness_lease_duration: {sec: 9223372036, nsec: 854775807}
  avoid_ros_namespace_conventions: false
`;

describe("qosFromProfile", () => {
  it("reads Jazzy's policy names", () => {
    expect(qosFromProfile(JAZZY)).toEqual({
      depth: 1,
      reliability: "reliable",
      durability: "transient_local",
    });
  });
  it("reads Humble's enum numbers", () => {
    expect(qosFromProfile(HUMBLE)).toEqual({ reliability: "best_effort", durability: "volatile" });
  });
  it("leaves an empty profile to the defaults", () => {
    expect(qosFromProfile("")).toBeUndefined();
  });
});
