/** The plain-TS policy's deterministic actions at every dataset state (input to the support diagnostics). */
import { ShapeMismatchError } from "../../core/errors.js";
import type { TransitionColumns } from "../../core/transitions.js";
import type { PolicyRunner } from "../../policy/runner.js";

export function policyActionsAt(
  runner: PolicyRunner,
  data: Pick<TransitionColumns, "size" | "obsDim" | "observations">,
): Float32Array {
  if (data.obsDim !== runner.obsDim)
    throw new ShapeMismatchError("dataset obsDim vs policy obsDim", runner.obsDim, data.obsDim);
  const out = new Float32Array(data.size * runner.actDim);
  for (let i = 0; i < data.size; i++) {
    runner.act(
      data.observations.subarray(i * data.obsDim, (i + 1) * data.obsDim),
      out.subarray(i * runner.actDim, (i + 1) * runner.actDim),
    );
  }
  return out;
}
