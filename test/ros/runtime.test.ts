import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../src/robot/load.js";
import { NotAvailableError } from "../../src/core/errors.js";
import { loadRclnodejs } from "../../src/ros/rclnodejs-adapter.js";
import { EMBEDDED_NOTICE, resetRuntimeNotice, selectRuntime } from "../../src/ros/runtime.js";

// rclnodejs is an optional dependency that cannot be installed without ROS 2; these tests assert the
// behaviour where ROS 2 is not sourced (vitest's own process, even in CI: the real-ROS tests in test/ros2/
// source it for the processes they start). Where it is sourced and rclnodejs loads they are skipped.
let hasRclnodejs = true;
try {
  await loadRclnodejs();
} catch {
  hasRclnodejs = false;
}

describe.skipIf(hasRclnodejs)("runtime selection without ROS 2", () => {
  it("loadRclnodejs says what is missing and how to get it", async () => {
    await expect(loadRclnodejs()).rejects.toThrow(NotAvailableError);
    await expect(loadRclnodejs()).rejects.toThrow(
      "ROS 2 / rclnodejs is not available: ROS 2 is not sourced: source /opt/ros/<distro>/setup.bash and npm install rclnodejs",
    );
  });

  it("leaves an installed rclnodejs alone where ROS 2 is not sourced (importing it would rebuild it away)", async () => {
    const binary = join(REPO_ROOT, "node_modules", "rclnodejs", "build", "Release", "rclnodejs.node");
    const before = existsSync(binary);
    await expect(loadRclnodejs()).rejects.toThrow(/ROS 2 is not sourced/);
    expect(existsSync(binary)).toBe(before);
  });

  it("falls back to the embedded runtime with a one-time notice", async () => {
    resetRuntimeNotice();
    const notices: string[] = [];
    const a = await selectRuntime({
      ros: false,
      notice: (m) => notices.push(m),
      embedded: { logSink: () => {} },
    });
    const b = await selectRuntime({
      ros: false,
      notice: (m) => notices.push(m),
      embedded: { logSink: () => {} },
    });
    expect(a.kind).toBe("embedded");
    expect(notices).toEqual([EMBEDDED_NOTICE]);
    const node = await a.createNode("x", { namespace: "/ns", parameters: { p: 1 } });
    expect(node.fullyQualifiedName()).toBe("/ns/x");
    expect(node.declareParameter("p", 0)).toBe(1);
    a.shutdown();
    b.shutdown();
  });

  it("--ros makes the absence of ROS 2 an error", async () => {
    await expect(selectRuntime({ ros: true })).rejects.toThrow(/ROS 2 \/ rclnodejs is not available/);
  });
});
