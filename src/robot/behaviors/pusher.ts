/**
 * Pusher: a hand-made pushing strategy for the XY gantry. In the frame of the push direction (puck -> goal),
 * the pusher first goes around the puck to a point behind it, then pushes through the puck's centre towards
 * the goal, slowing down as the puck arrives. Cartesian PD on the gantry forces. Radii and force limits match
 * robots/pusher/model.xml. Lower quality: a sloppier approach, weaker gains, noise, random ticks and lag, and
 * in some episodes a runaway push: once the puck reaches the goal the controller keeps pushing the same way
 * until the puck leaves the table (so lower-quality data contains the failure state).
 */
import type { RobotSpec } from "../spec.js";
import { Degrader, lerp } from "./degrade.js";
import type { BehaviorController } from "./index.js";
import { signalIndices } from "./signal-index.js";

const CONTACT = 0.04 + 0.05; // pusher radius + puck radius, m
const MAX_FORCE = 5; // N
const TABLE = 0.475; // gantry targets stay inside this square (joint limits are +-0.48)
const ARRIVED = 0.015; // puck this close to the goal: stop pushing
const RESUME = 0.04; // ...until it is this far again
const RUNAWAY_NEAR = 0.1; // a runaway episode starts overshooting this close to the goal

export function makePusherBehavior(spec: RobotSpec, quality: number, seed: number): BehaviorController {
  const ix = signalIndices(spec, {
    px: "position.gantry_x",
    py: "position.gantry_y",
    vx: "velocity.gantry_x",
    vy: "velocity.gantry_y",
    bx: "position.puck_x",
    by: "position.puck_y",
    gx: "task.goal.x",
    gy: "task.goal.y",
  });
  const q = quality;
  const kp = lerp(20, 60, q);
  const kd = lerp(2, 6, q);
  const alignTolerance = lerp(0.06, 0.025, q);
  const degrader = new Degrader(
    { randomProb: lerp(1, 0, q), noiseStd: lerp(0.8, 0, q), lagProb: lerp(0.5, 0, q) },
    2,
    seed,
  );
  const runawayProb = lerp(0.6, 0, q);
  let holding = false;
  let runaway = false;
  let runawayX = 0;
  let runawayY = 0;
  let pushX = 1;
  let pushY = 0;
  const startEpisode = (): void => {
    holding = false;
    runawayX = Number.NaN;
    runawayY = Number.NaN;
    runaway = runawayProb > 0 && degrader.random.next() < runawayProb;
  };
  startEpisode();
  return {
    reset(s) {
      degrader.reset(s);
      startEpisode();
    },
    act(signals, out) {
      const px = signals[ix.px];
      const py = signals[ix.py];
      const bx = signals[ix.bx];
      const by = signals[ix.by];
      let goalX = signals[ix.gx];
      let goalY = signals[ix.gy];
      if (runaway && Number.isNaN(runawayX) && Math.hypot(goalX - bx, goalY - by) < RUNAWAY_NEAR) {
        // The runaway flaw: aim far beyond the goal along the current push direction.
        runawayX = bx + pushX;
        runawayY = by + pushY;
      }
      if (!Number.isNaN(runawayX)) {
        goalX = runawayX;
        goalY = runawayY;
      }
      const toGoalX = goalX - bx;
      const toGoalY = goalY - by;
      const dist = Math.hypot(toGoalX, toGoalY);
      let tx: number;
      let ty: number;
      holding = holding ? dist < RESUME : dist < ARRIVED;
      if (holding) {
        // Puck at the goal: keep clear of it and wait.
        const rx = px - bx;
        const ry = py - by;
        const r = Math.hypot(rx, ry) || 1;
        tx = bx + (rx / r) * (CONTACT + 0.05);
        ty = by + (ry / r) * (CONTACT + 0.05);
      } else {
        const ux = toGoalX / dist;
        const uy = toGoalY / dist;
        pushX = ux;
        pushY = uy;
        // Pusher relative to puck, in the push frame: along the push direction and across it.
        const rx = px - bx;
        const ry = py - by;
        const along = rx * ux + ry * uy;
        const across = -rx * uy + ry * ux;
        const side = across >= 0 ? 1 : -1;
        if (along > -CONTACT * 0.7 && Math.hypot(rx, ry) < CONTACT + 0.03) {
          // In front and close: step away from the puck (and sideways) before going around it.
          const r = Math.hypot(rx, ry) || 1;
          tx = bx + (rx / r) * (CONTACT + 0.08) - uy * side * 0.05;
          ty = by + (ry / r) * (CONTACT + 0.08) + ux * side * 0.05;
        } else if (along > -CONTACT * 0.7) {
          // Beside or in front of the puck: go around it on the side we are on.
          const offset = CONTACT + 0.06;
          tx = bx - ux * 0.5 * offset - uy * side * offset;
          ty = by - uy * 0.5 * offset + ux * side * offset;
        } else if (Math.abs(across) > alignTolerance) {
          // Behind but off the line: line up behind the puck.
          tx = bx - ux * (CONTACT + 0.04);
          ty = by - uy * (CONTACT + 0.04);
        } else {
          // Push through the puck's centre; the lead shrinks near the goal so the puck stops there.
          const lead = Math.min(0.08, 0.4 * dist);
          tx = bx - ux * CONTACT + ux * lead - uy * across * 0.5;
          ty = by - uy * CONTACT + uy * lead + ux * across * 0.5;
        }
      }
      tx = Math.min(TABLE, Math.max(-TABLE, tx));
      ty = Math.min(TABLE, Math.max(-TABLE, ty));
      const fx = kp * (tx - px) - kd * signals[ix.vx];
      const fy = kp * (ty - py) - kd * signals[ix.vy];
      out[0] = Math.min(1, Math.max(-1, fx / MAX_FORCE));
      out[1] = Math.min(1, Math.max(-1, fy / MAX_FORCE));
      if (q < 1) degrader.apply(out);
    },
  };
}
