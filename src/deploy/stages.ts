/** The ladder a policy climbs toward hardware. Each stage must pass its gates before the next one runs. */
export const STAGES = ["offline-eval", "sim-eval", "sim-finetune", "shadow", "canary", "full"] as const;
export type Stage = (typeof STAGES)[number];

export function isStage(value: string): value is Stage {
  return (STAGES as readonly string[]).includes(value);
}

export function nextStage(stage: Stage): Stage | undefined {
  const i = STAGES.indexOf(stage);
  return STAGES[i + 1];
}
