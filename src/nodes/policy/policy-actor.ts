/**
 * The policy node's policy as a WorkerPolicy module: the package's actor, built in the policy's own worker
 * from the same options as the node's core, so a stuck policy call cannot hold the real-time loop.
 */
import type { Controller } from "../../safety/fallback.js";
import { packageController } from "./package-controller.js";
import { loadPolicyCore, type PolicyCoreOptions } from "./policy-core.js";

export async function createController(options: PolicyCoreOptions): Promise<Controller> {
  const { stack, spec } = await loadPolicyCore({ ...options, fallback: "none" });
  return packageController(stack.runner, spec);
}
