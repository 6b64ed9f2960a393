import { describe, expect, it } from "vitest";
import { NotAvailableError } from "../../src/core/errors.js";
import { loadRclnodejs } from "../../src/ros/rclnodejs-adapter.js";
import { EMBEDDED_NOTICE, resetRuntimeNotice, selectRuntime } from "../../src/ros/runtime.js";

// rclnodejs is an optional dependency that cannot be installed without ROS 2; these tests assert the
// behaviour on machines without it (this one). Where it is installed they are skipped.
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
      "ROS 2 / rclnodejs is not available: not found: source /opt/ros/<distro>/setup.bash and npm install rclnodejs",
    );
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
