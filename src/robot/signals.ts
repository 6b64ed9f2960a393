/**
 * The named signal vector every spec expression reads. One layout per robot, computed once:
 *   position.<joint>, velocity.<joint>, effort.<joint> for each joint, action.<actuator> for each
 *   actuator, task.<task>.<field> for each task field.
 */
import type { RobotSpec } from "./spec.js";

export interface SignalLayout {
  names: string[];
  index: Map<string, number>;
  /** Offsets of each block, for filling the vector without string lookups. */
  position: number;
  velocity: number;
  effort: number;
  action: number;
  task: number;
  size: number;
}

export function signalLayout(spec: RobotSpec): SignalLayout {
  const names: string[] = [];
  const position = names.length;
  for (const j of spec.joints) names.push(`position.${j.name}`);
  const velocity = names.length;
  for (const j of spec.joints) names.push(`velocity.${j.name}`);
  const effort = names.length;
  for (const j of spec.joints) names.push(`effort.${j.name}`);
  const action = names.length;
  for (const a of spec.actuators) names.push(`action.${a.name}`);
  const task = names.length;
  for (const t of spec.ros.task_topics) for (const f of t.fields) names.push(`task.${t.name}.${f}`);
  return {
    names,
    index: new Map(names.map((n, i) => [n, i])),
    position,
    velocity,
    effort,
    action,
    task,
    size: names.length,
  };
}
