/**
 * EpisodeReturn, the return the policy node reports to the return-collapse monitor, against MujocoEnv's own
 * rewards on real MuJoCo episodes (the definition the datasets share: reward over the state after the step),
 * and as a property over arbitrary traces of states, ticks and episode ends.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeBehavior } from "../../src/robot/behaviors/index.js";
import { scaleToRange } from "../../src/robot/task-functions.js";
import { EpisodeReturn } from "../../src/safety/episode-return.js";
import { MujocoEnv } from "../../src/sim/mujoco-env.js";

describe("EpisodeReturn on real MuJoCo episodes", () => {
  // Both endings the node meets: lock-step (it ticks on the final state; the sim resets instead of applying
  // that command) and a reset before the next tick (the final state arrives, then the episode mark).
  it.each(["pendulum", "reacher2", "pusher"])(
    "%s: the node's accounting equals the sum of the sim's rewards",
    async (robot) => {
      const env = await MujocoEnv.create(robot, { seed: 0 });
      try {
        const { task } = env;
        const spec = env.robot.spec;
        const at = task.layout.action;
        const norm = new Float64Array(env.actDim);
        const command = new Float64Array(env.actDim);
        const er = new EpisodeReturn(task);
        for (const [episode, ending] of [
          [0, "lockstep"],
          [1, "reset before the next tick"],
          [2, "lockstep"],
        ] as const) {
          const behavior = makeBehavior(spec, "medium", 7 + episode);
          behavior.reset(7 + episode);
          env.reset(100 + episode);
          // The node's signals: the latest state, and in the action block the command it sent last.
          const signals = env.signals();
          let stateId = 1;
          const receive = (): void => {
            const s = env.signals();
            for (let i = 0; i < at; i++) signals[i] = s[i];
            for (let i = at + env.actDim; i < s.length; i++) signals[i] = s[i];
            stateId++;
          };
          /** One timer tick: the last step scored, then this tick's command sent. */
          const tick = (): void => {
            er.settle(signals);
            behavior.act(signals, norm);
            spec.actuators.forEach((a, i) => (command[i] = scaleToRange(norm[i], a.range[0], a.range[1])));
            for (let i = 0; i < env.actDim; i++) signals[at + i] = command[i];
            er.sent(stateId);
          };
          let simReturn = 0;
          let atTick = 0; // the old accounting: the state the tick acted on, with its new command
          for (;;) {
            tick();
            atTick += task.reward(signals);
            const r = env.stepActuators(command);
            simReturn += r.reward;
            receive();
            if (r.terminated || r.truncated) break;
          }
          if (ending === "lockstep") {
            tick(); // its command is published, never applied
            atTick += task.reward(signals);
          }
          const ret = er.end(signals, stateId);
          expect(Math.abs(ret - simReturn), `${robot} episode ${episode} (${ending})`).toBeLessThanOrEqual(
            1e-9,
          );
          // The comparison has teeth: the old per-tick reward, one state early, misses by far more.
          expect(Math.abs(atTick - simReturn)).toBeGreaterThan(1e-4);
        }
      } finally {
        env.close();
      }
    },
    120_000,
  );
});

type Event =
  { kind: "state"; values: number[] } | { kind: "tick"; send: boolean; cmd: number } | { kind: "end" };

describe("EpisodeReturn over arbitrary traces", () => {
  // Signals [state, command]; any reward of both.
  const reward = (s: ArrayLike<number>): number => Math.sin(3 * s[0]) + s[0] * s[1] - 0.1 * s[1] * s[1];
  const event: fc.Arbitrary<Event> = fc.oneof(
    fc.record({
      kind: fc.constant("state" as const),
      values: fc.tuple(fc.double({ min: -5, max: 5, noNaN: true })),
    }),
    fc.record({
      kind: fc.constant("tick" as const),
      send: fc.boolean(),
      cmd: fc.double({ min: -2, max: 2, noNaN: true }),
    }),
    fc.record({ kind: fc.constant("end" as const) }),
  );

  it("each sent command scores once, on the state at the next tick, or at the end on a newer state only", () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), (trace) => {
        // The reference, from the whole trace: a command's outcome is the next tick's signals in its
        // episode; failing that, the episode's last state if one arrived after the command.
        const expected: number[] = [];
        const events = [...trace, { kind: "end" } as Event];
        let ret = 0;
        let state = 0;
        for (let k = 0; k < events.length; k++) {
          const e = events[k];
          if (e.kind === "state") state = e.values[0];
          else if (e.kind === "end") {
            expected.push(ret);
            ret = 0;
          } else if (e.send) {
            const command = e.cmd;
            let s = state;
            let newer = false;
            for (let j = k + 1; j < events.length; j++) {
              const f = events[j];
              if (f.kind === "state") {
                s = f.values[0];
                newer = true;
              } else if (f.kind === "tick") {
                ret += reward([s, command]);
                break;
              } else {
                if (newer) ret += reward([s, command]);
                break;
              }
            }
          }
        }

        const er = new EpisodeReturn({ reward });
        const signals = [0, 0];
        let id = 0;
        const got: number[] = [];
        for (const e of events) {
          if (e.kind === "state") {
            signals[0] = e.values[0];
            id++;
          } else if (e.kind === "tick") {
            er.settle(signals);
            if (e.send) {
              signals[1] = e.cmd;
              er.sent(id);
            }
          } else got.push(er.end(signals, id));
        }
        expect(got.length).toBe(expected.length);
        got.forEach((g, i) => expect(g).toBeCloseTo(expected[i], 9));
      }),
      { numRuns: 500 },
    );
  });
});
