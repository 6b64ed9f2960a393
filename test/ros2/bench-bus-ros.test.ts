/** `tether bench bus --ros --json`: the DDS figures under their issue names, the embedded ones beside them. */
import { expect, it } from "vitest";
import { describeRos2, ros2Env, run } from "./ros2-env.js";
import { REPO_ROOT } from "../../src/robot/load.js";
import { join } from "node:path";

const DOMAIN = 213;

describeRos2("tether bench bus --ros", () => {
  it("prints transport, throughput, latency and drops over Cyclone DDS, and a 500 Hz recording", async () => {
    const r = await run(
      process.execPath,
      [
        "--import",
        "tsx",
        join(REPO_ROOT, "src", "cli", "main.ts"),
        "bench",
        "bus",
        "--ros",
        "--json",
        "--ros-messages",
        "2000",
        "--messages",
        "10000",
        "--latency-samples",
        "200",
        "--record-seconds",
        "1",
      ],
      ros2Env(DOMAIN),
      120_000,
    );
    expect(r.code, r.out).toBe(0);
    const json = JSON.parse(r.out.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(json).toMatchObject({ bench: "bus", transport: "cyclonedds", jointstate_messages: 2000 });
    for (const k of ["jointstate_msgs_per_s", "latency_us_p50", "latency_us_p99", "dropped"])
      expect(typeof json[k], k).toBe("number");
    expect(json.latency_us_p99 as number).toBeGreaterThanOrEqual(json.latency_us_p50 as number);
    // Reliable QoS, keep-last 1000: a 500 Hz recording loses nothing.
    expect(json.recording_500hz).toMatchObject({ states_published: 500, states_received: 500, dropped: 0 });
    expect(json.embedded).toMatchObject({ bench: "bus", jointstate_messages: 10000, jointstate_dropped: 0 });
  });
});
