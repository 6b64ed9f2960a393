/** The plain-TS policy's deterministic actions at every dataset state (input to the support diagnostics). */
import { ShapeMismatchError } from "../../core/errors.js";
import type { TransitionColumns } from "../../core/transitions.js";
import type { DtRunner } from "../../policy/dt-runner.js";
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

/**
 * A decision transformer's actions at dataset states, each with the context the dataset gives it: the
 * episode's earlier states and logged actions, the return-to-go conditioned on the runner's target return
 * and lowered by the logged rewards. At most the whole episodes within the first `maxSteps` transitions (a
 * transformer forward per state costs milliseconds); returns how many rows it covered.
 */
export function dtActionsAt(
  runner: DtRunner,
  data: Pick<
    TransitionColumns,
    "size" | "obsDim" | "actDim" | "observations" | "actions" | "rewards" | "episodes"
  >,
  maxSteps = 2000,
): { actions: Float32Array; rows: number } {
  if (data.obsDim !== runner.obsDim)
    throw new ShapeMismatchError("dataset obsDim vs policy obsDim", runner.obsDim, data.obsDim);
  let rows = 0;
  while (rows < data.size) {
    let end = rows + 1;
    while (end < data.size && data.episodes[end] === data.episodes[rows]) end++;
    if (rows > 0 && end > maxSteps) break;
    rows = end;
  }
  const { obsDim, actDim } = data;
  const out = new Float32Array(rows * actDim);
  for (let i = 0; i < rows; i++) {
    if (i === 0 || data.episodes[i] !== data.episodes[i - 1]) runner.reset();
    runner.act(
      data.observations.subarray(i * obsDim, (i + 1) * obsDim),
      out.subarray(i * actDim, (i + 1) * actDim),
    );
    runner.recordAction(data.actions.subarray(i * actDim, (i + 1) * actDim));
    runner.reward(data.rewards[i]);
  }
  runner.reset();
  return { actions: out, rows };
}
