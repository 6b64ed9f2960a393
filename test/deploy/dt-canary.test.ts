/**
 * A decision transformer in canary: the fallback acts on about half the ticks, and the transformer's context
 * must still hold every tick with the command the robot applied (after the shield) and its reward, so that
 * its return-to-go ends each episode at the target less the episode's return. An MLP package's canary must
 * run exactly as before: its commands equal those of a plain SafetyCore loop with the mix as it was.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../src/core/rng.js";
import type { TransitionColumns } from "../../src/core/transitions.js";
import { openBag } from "../../src/data/rosbag2/bag.js";
import { CANARY_SHIELD_PARAMS, runCanary } from "../../src/deploy/runners/canary.js";
import { fallbackController, type StageContext } from "../../src/deploy/runners/context.js";
import { runShieldedEpisodes } from "../../src/deploy/runners/shielded-episodes.js";
import type { Float64MultiArray } from "../../src/msgs/types.js";
import { buildPolicyStack } from "../../src/nodes/policy/build-shield.js";
import { packageController } from "../../src/nodes/policy/package-controller.js";
import { DtRunner } from "../../src/policy/dt-runner.js";
import { loadPolicyPackage, type PolicyPackage } from "../../src/policy/package.js";
import { loadRobot } from "../../src/robot/load.js";
import { commandTopic } from "../../src/robot/spec.js";
import { runTraining } from "../../src/rl/run-training.js";
import type { Controller } from "../../src/safety/fallback.js";
import { SafetyCore } from "../../src/safety/safety-core.js";
import { ClockScheduler } from "../../src/safety/loop/clock-scheduler.js";
import { MujocoEnv } from "../../src/sim/mujoco-env.js";
import { pendulumColumns } from "../policy/fixtures/pendulum-columns.js";
import { tinyTrainingOptions, trainTinyDtPackage } from "../policy/fixtures/tiny-dt-package.js";

const robot = loadRobot("pendulum");
const spec = robot.spec;
const [lo, hi] = spec.actuators[0].range;

let dir: string;
let dtPkg: PolicyPackage;
let mlpPkg: PolicyPackage;
let data: TransitionColumns;

const context = (pkg: PolicyPackage, episodes: number, seed: number): StageContext => ({
  robot,
  pkg,
  version: "v0",
  dataset: data,
  datasetDir: dir,
  runLogDir: join(dir, "runlogs"),
  episodes,
  seed,
  fqeSteps: 0,
});

/** The commands (actuator units) a run log holds, in order. */
async function loggedCommands(file: string): Promise<number[]> {
  const bag = await openBag(file);
  const out: number[] = [];
  try {
    for await (const m of bag.messages({ topics: [commandTopic(spec)] }))
      out.push((m.message as Float64MultiArray).data[0]);
  } finally {
    await bag.close();
  }
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tether-dt-canary-"));
  data = pendulumColumns(200, (rng) => rng.uniform(0, 1));
  await trainTinyDtPackage(join(dir, "dt"), data);
  await runTraining({
    ...tinyTrainingOptions(data),
    algo: "bc",
    out: join(dir, "bc"),
    config: { hidden: [8, 8] },
  });
  dtPkg = loadPolicyPackage(join(dir, "dt"));
  mlpPkg = loadPolicyPackage(join(dir, "bc"));
}, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("decision transformer in canary", () => {
  it("every tick, the fallback's too, joins the context with the applied command; return-to-go ends at target - return", async () => {
    const ctx = context(dtPkg, 2, 3);
    const stack = buildPolicyStack(dtPkg, spec, CANARY_SHIELD_PARAMS);
    const runner = stack.runner as DtRunner;
    expect(runner).toBeInstanceOf(DtRunner);
    const inner = packageController(runner, spec);
    const k = runner.contextLength;
    const ring = runner.buffers();
    // Per tick (global order): who acted, and what the context then held for the previous step.
    const acted: ("policy" | "fallback")[] = [];
    const recorded: { tick: number; action: number; timestep: number }[] = [];
    const rtgEnd: number[] = [];
    let episodeTick = 0;
    const recordPrevious = (): void => {
      if (episodeTick === 0) return;
      const slot = (episodeTick - 1) % k;
      recorded.push({ tick: acted.length - 1, action: ring.actions[slot], timestep: ring.timesteps[slot] });
    };
    const policy: Controller = {
      act(obs, signals, out) {
        inner.act(obs, signals, out);
        recordPrevious();
        acted.push("policy");
        episodeTick++;
      },
      observe(obs, signals) {
        inner.observe!(obs, signals);
        recordPrevious();
        acted.push("fallback");
        episodeTick++;
      },
      finish(signals) {
        inner.finish!(signals);
        recordPrevious();
        rtgEnd.push(runner.currentReturnToGo);
      },
      reset() {
        inner.reset!();
        episodeTick = 0;
      },
    };
    const fallback = fallbackController(ctx);
    expect(fallback).toBeDefined();
    const r = await runShieldedEpisodes({
      robot,
      shield: stack.shield,
      policy,
      fallback,
      stateBox: stack.stateBox,
      episodes: 2,
      seed: 3,
      policyFraction: 0.5,
      runLog: join(dir, "runlogs", "dt-canary-ticks.mcap"),
      stage: "canary",
    });
    expect(r.estops).toBe(0);
    expect(acted.length).toBe(r.ticks);
    const fallbackTicks = acted.filter((a) => a === "fallback").length;
    expect(fallbackTicks).toBe(r.mixFallbackTicks);
    expect(fallbackTicks).toBeGreaterThan(r.ticks / 4);
    expect(fallbackTicks).toBeLessThan((3 * r.ticks) / 4);

    // The return-to-go after each episode: the target less that episode's return.
    expect(rtgEnd.length).toBe(2);
    for (let ep = 0; ep < 2; ep++)
      expect(Math.abs(runner.targetReturn - r.returns[ep] - rtgEnd[ep])).toBeLessThan(1e-6);
    // The rewards were not all zero (far above the tolerance): the check could fail.
    for (const ret of r.returns) expect(Math.abs(ret)).toBeGreaterThan(0.01);

    // Each step's action in the context is the command the robot applied (the run log's), normalized, and
    // its timestep is the step's own: the fallback's steps as much as the policy's.
    const commands = await loggedCommands(r.runLog!);
    expect(commands.length).toBe(r.ticks);
    expect(recorded.length).toBe(r.ticks);
    let fallbackChecked = 0;
    let start = 0;
    for (const x of recorded) {
      const applied = (2 * (commands[x.tick] - lo)) / (hi - lo) - 1;
      expect(x.action, `tick ${x.tick} (${acted[x.tick]})`).toBeCloseTo(applied, 9);
      if (x.timestep === 0) start = x.tick;
      expect(x.timestep).toBe(x.tick - start);
      if (acted[x.tick] === "fallback") fallbackChecked++;
    }
    expect(fallbackChecked).toBe(fallbackTicks);
  }, 240_000);

  it("runCanary reports the transformer's return-to-go at target less the mean return", async () => {
    const r = await runCanary(context(dtPkg, 2, 5), 0.5);
    const d = r.details;
    expect(d.dt_target_return).toBe(dtPkg.transformer!.targetReturn);
    expect(Number(d.mixed_fallback_ticks)).toBeGreaterThan(0);
    const target = d.dt_target_return as number;
    const end = d.dt_return_to_go_end as number;
    const mean = d.mean_return as number;
    expect(Math.abs(target - mean - end)).toBeLessThan(1e-6);
    expect(Math.abs(mean)).toBeGreaterThan(0.01);
  }, 240_000);
});

describe("MLP package in canary", () => {
  it("commands on a fixed seed equal a plain SafetyCore loop with the mix as it was", async () => {
    const seed = 7;
    const r = await runCanary(context(mlpPkg, 2, seed), 0.5);
    expect(r.details.dt_return_to_go_end).toBeUndefined();
    expect(Number(r.details.mixed_fallback_ticks)).toBeGreaterThan(0);
    const commands = await loggedCommands(r.runLog!);

    // The reference: canary's set-up (seed + 17, its shield, the package and the fallback), the loop written
    // out with the mix as before the fix: rng.next() < fraction picks the policy, else the fallback.
    const ctx = context(mlpPkg, 2, seed);
    const stack = buildPolicyStack(mlpPkg, spec, CANARY_SHIELD_PARAMS);
    const own = packageController(stack.runner, spec);
    const fallback = fallbackController(ctx)!;
    const runSeed = seed + 17;
    const rng = new Rng(runSeed + 101);
    const mix: Controller = {
      act(obs, signals, out) {
        if (rng.next() < 0.5) own.act(obs, signals, out);
        else fallback.act(obs, signals, out);
      },
    };
    const env = await MujocoEnv.create(robot, { seed: runSeed });
    const { BrakingFilter } = await import("../../src/sim/braking-filter.js");
    const brake = new BrakingFilter(env, spec, stack.shield.limits);
    stack.shield.useBrake(brake);
    const scheduler = new ClockScheduler(0);
    const expected: number[] = [];
    let simMs = 0;
    try {
      for (let ep = 0; ep < 2; ep++) {
        const core = new SafetyCore({
          spec,
          shield: stack.shield,
          policy: mix,
          fallback,
          scheduler,
          stateBox: stack.stateBox,
        });
        env.reset(runSeed * 1000 + ep);
        for (let t = 0; t < env.maxEpisodeSteps; t++) {
          simMs += core.periodMs;
          scheduler.advanceTo(simMs);
          const out = core.tick(simMs, env.signals());
          expected.push(out.command[0]);
          const step = env.stepActuators(out.command);
          if (step.terminated || step.truncated) break;
        }
        core.close();
      }
    } finally {
      stack.shield.useBrake(undefined);
      brake.close();
      env.close();
    }
    expect(commands.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) expect(commands[i], `tick ${i}`).toBe(expected[i]);
  }, 240_000);
});
