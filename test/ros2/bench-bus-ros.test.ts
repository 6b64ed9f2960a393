/** `tether bench bus --ros --json`: the DDS figures under their issue names, the embedded ones beside them. */
import { expect, it } from "vitest";
import { describeRos2, ros2Env, run } from "./ros2-env.js";
import { REPO_ROOT } from "../../src/robot/load.js";
import { join } from "node:path";

const DOMAIN = 213;

describeRos2("tether bench bus --ros", () => {
  it("prints transport, throughput, latency and drops over Cyclone DDS, and 500 Hz recordings (in process, from rclpy)", async () => {
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
    expect((json.jointstate_messages as number) - (json.dropped as number)).toBeGreaterThan(0);
    for (const k of ["jointstate_msgs_per_s", "latency_us_p50", "latency_us_p99", "dropped"])
      expect(typeof json[k], k).toBe("number");
    expect(json.latency_us_p99 as number).toBeGreaterThanOrEqual(json.latency_us_p50 as number);
    // Drops depend on the machine's load: a figure, not asserted; the accounting is.
    const rec = json.recording_500hz as Record<string, number>;
    expect(rec.states_published).toBe(500);
    expect(rec.states_received + rec.dropped).toBe(500);
    expect(rec.states_received).toBeGreaterThan(0);
    // The same stream from rclpy in its own process, across the loopback socket.
    const sep = json.recording_500hz_separate_process as Record<string, number>;
    expect(sep.states_published).toBe(500);
    expect(sep.states_received + sep.dropped).toBe(500);
    expect(sep.states_received).toBeGreaterThan(0);
    expect(typeof sep.publisher_late_max_ms).toBe("number");
    expect(json.embedded).toMatchObject({ bench: "bus", jointstate_messages: 10000, jointstate_dropped: 0 });
  });
});
