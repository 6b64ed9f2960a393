import { describe, expect, it } from "vitest";
import { registerBenchFaults } from "../../../src/cli/bench/faults.js";
import { benchJson } from "./bench-json.js";

describe("tether bench faults --json", () => {
  it("prints one JSON object last with per-fault reaction periods and zero unsafe commands", async () => {
    const last = await benchJson(registerBenchFaults, ["faults", "--json", "--ticks", "60"]);
    expect(last.faults.map((f: { fault: string }) => f.fault)).toEqual([
      "nan_policy",
      "frozen_sensor",
      "latency_spike",
      "ood_state",
      "policy_crash",
      "joint_limit_breach",
    ]);
    for (const f of last.faults) {
      expect(f.reaction_periods).toBeLessThanOrEqual(1);
      expect(f.unsafe_commands).toBe(0);
    }
    expect(last.unsafe_commands_total).toBe(0);
    expect(last.all_within_one_period).toBe(true);
  });

  it("with --policy-worker adds latency_spike and policy_crash with the policy in a worker thread", async () => {
    const last = await benchJson(registerBenchFaults, [
      "faults",
      "--json",
      "--ticks",
      "200",
      "--policy-worker",
    ]);
    expect(last.worker_policy.map((f: { fault: string }) => f.fault)).toEqual([
      "latency_spike",
      "policy_crash",
    ]);
    for (const f of last.worker_policy) {
      expect(f.policy_thread).toBe("worker");
      expect(f.reaction_periods).toBeLessThanOrEqual(1);
      expect(f.unsafe_commands).toBe(0);
    }
  });
});
