import { ConfigError } from "../core/errors.js";
import { ExprError, compileExpr } from "../core/expr.js";
import { signalLayout } from "./signals.js";
import type { RobotSpec } from "./spec.js";

/** Cross-field checks zod cannot express: names that must refer to each other, expressions that must compile. */
export function checkSpecSemantics(spec: RobotSpec, file: string): void {
  const joints = new Set(spec.joints.map((j) => j.name));
  const unique = (what: string, names: string[]): void => {
    const seen = new Set<string>();
    names.forEach((n, i) => {
      if (seen.has(n)) throw new ConfigError(file, `${what}.${i}.name`, `duplicate name "${n}"`);
      seen.add(n);
    });
  };
  unique(
    "joints",
    spec.joints.map((j) => j.name),
  );
  unique(
    "actuators",
    spec.actuators.map((a) => a.name),
  );
  unique(
    "observation",
    spec.observation.map((o) => o.name),
  );
  unique(
    "ros.task_topics",
    spec.ros.task_topics.map((t) => t.name),
  );

  spec.actuators.forEach((a, i) => {
    if (!joints.has(a.joint))
      throw new ConfigError(file, `actuators.${i}.joint`, `unknown joint "${a.joint}"`, {
        expected: [...joints].join("|"),
      });
  });
  for (const name of Object.keys(spec.safety.joints)) {
    if (!joints.has(name))
      throw new ConfigError(file, `safety.joints.${name}`, `unknown joint "${name}"`, {
        expected: [...joints].join("|"),
      });
  }
  for (const name of [...Object.keys(spec.reset.position), ...Object.keys(spec.reset.velocity)]) {
    if (!joints.has(name)) throw new ConfigError(file, `reset.${name}`, `unknown joint "${name}"`);
  }
  const layout = signalLayout(spec);
  for (const key of Object.keys(spec.reset.task)) {
    if (!layout.index.has(`task.${key}`))
      throw new ConfigError(file, `reset.task.${key}`, `unknown task field "${key}" (write <task>.<field>)`);
  }
  const indexOf = (n: string): number => layout.index.get(n) ?? -1;
  const compile = (field: string, src: string): void => {
    try {
      compileExpr(src, indexOf);
    } catch (err) {
      if (err instanceof ExprError)
        throw new ConfigError(file, field, err.message, { hint: `signals: ${layout.names.join(", ")}` });
      throw err;
    }
  };
  spec.observation.forEach((o, i) => compile(`observation.${i}.expr`, o.expr));
  compile("reward.expr", spec.reward.expr);
  if (spec.reset.task_valid !== undefined) compile("reset.task_valid", spec.reset.task_valid);
  spec.termination.forEach((t, i) => compile(`termination.${i}.expr`, t.expr));
  if (spec.reference_returns && spec.reference_returns.expert <= spec.reference_returns.random)
    throw new ConfigError(file, "reference_returns", "expert return must be greater than random return", {
      actual: `random=${spec.reference_returns.random}, expert=${spec.reference_returns.expert}`,
    });
}
