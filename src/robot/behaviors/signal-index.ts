/** Looks up signal indices by name once, when a controller is built (not per tick). */
import { ConfigError } from "../../core/errors.js";
import { signalLayout } from "../signals.js";
import type { RobotSpec } from "../spec.js";

export function signalIndices<K extends string>(
  spec: RobotSpec,
  names: Record<K, string>,
): Record<K, number> {
  const layout = signalLayout(spec);
  const out = {} as Record<K, number>;
  for (const key of Object.keys(names) as K[]) {
    const index = layout.index.get(names[key]);
    if (index === undefined)
      throw new ConfigError(
        `robots/${spec.name}/robot.yaml`,
        "joints",
        `the ${spec.name} behavior controller needs signal "${names[key]}"`,
      );
    out[key] = index;
  }
  return out;
}
