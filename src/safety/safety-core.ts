/**
 * One control tick behind the shield, the same in the fault-injection harness, the policy node and the
 * fine-tune loop. Knows nothing of ROS: the caller hands in the state (signal vector + stamp) and publishes
 * `command` (actuator units) when `publish` is true.
 *
 * Per tick, in order:
 *   1. the state goes to the state monitors (joint limits, stale-state watchdog, NaN guard, OOD state); a
 *      policy that computes elsewhere (`Controller.begin`: a worker) is handed the observation first and
 *      computes meanwhile;
 *   2. the policy acts (a throw is a `policy` error event, a PolicyTimeoutError a `control_deadline` one:
 *      the policy runs elsewhere and gave no output in time), its timing goes to the control deadline, its
 *      output to the NaN guard and its support gap to the rolling support-gap monitor;
 *   3. the worst event since the last tick decides the source:
 *        fatal          -> the e-stop latch trips; zero effort until an explicit reset;
 *        error (state)  -> hold the last safe command (stale/frozen/NaN state: nothing to act on);
 *        error (other)  -> the fallback controller (BC or behavior) through the shield, else hold;
 *        none/warn      -> the policy through the shield;
 *   4. the command leaves the shield; events go to the run log and to `events` for /diagnostics.
 * While the e-stop is engaged the policy is not asked; one with memory (`Controller.observe`) still takes
 * each tick into it, so a decision transformer's context and return-to-go follow the robot's every step.
 * Timer-driven monitor events (silence, stall) that fire between ticks are taken into the next tick.
 * The first command after construction and after an e-stop reset is rate-limited from the measured actuator
 * effort (Shield.resetToMeasured), so the shield's guarantee holds from the first tick.
 */
import { merge, type SchedulerLike, type Subscription } from "rxjs";
import type { RobotSpec } from "../robot/spec.js";
import { compileTask, type TaskFunctions } from "../robot/task-functions.js";
import { EStopLatch } from "./estop.js";
import { eventSubject, judgesPolicyOutput, SEVERITY_RANK, safetyEvent, type SafetyEvent } from "./events.js";
import { PolicyTimeoutError, tryAct, type Controller, type ControlSource } from "./fallback.js";
import type { Shield } from "./clamps/shield.js";
import { SoftPositionLimits } from "./clamps/soft-limits.js";
import type { RunLog } from "./run-log.js";
import { SampleSource } from "./sample-source.js";
import { jointLimits, jointLimitsConfigFromSpec, type JointSample } from "./monitors/joint-limits.js";
import { staleState } from "./monitors/stale-state.js";
import { nonFiniteGuard, type VectorSample } from "./monitors/non-finite-guard.js";
import { controlDeadline, type TickTiming } from "./monitors/control-deadline.js";
import { supportGap, type GapSample, type SupportGapConfig } from "./monitors/support-gap.js";
import { stateSupport } from "./monitors/state-support.js";
import { returnCollapse, type EpisodeSample, type ReturnCollapseConfig } from "./monitors/return-collapse.js";

export interface SafetyCoreConfig {
  spec: RobotSpec;
  shield: Shield;
  policy: Controller;
  /** BC policy or behavior controller; without one, errors hold the last safe command. */
  fallback?: Controller;
  /** The clock (ms) and timer source of every monitor. */
  scheduler: SchedulerLike;
  /** A state stale this long trips the e-stop (default: 5 × control.max_state_age_ms). */
  estopAfterStaleMs?: number;
  /** Ticks a state may repeat (same stamp) before it counts as frozen (default 0). */
  frozenRepeats?: number;
  /** Policy time budget per tick, ms (default: one control period). */
  budgetMs?: number;
  /** Dataset observation box; outside it a state is out of distribution. */
  stateBox?: { lo: ArrayLike<number>; hi: ArrayLike<number> };
  supportGap?: Omit<SupportGapConfig, "scheduler">;
  returnCollapse?: Omit<ReturnCollapseConfig, "scheduler">;
  log?: RunLog;
  /**
   * Compute and report, never publish (`publish` is always false). Something else drives the robot, so only
   * a fatal event that judges the policy's output trips the e-stop latch; the robot's own (a joint limit) is
   * reported and the policy keeps being evaluated.
   */
  shadow?: boolean;
}

export interface TickOutput {
  tick: number;
  /** Actuator units; publish only when `publish`. */
  readonly command: Float64Array;
  /** The same command, normalized. */
  readonly action: Float64Array;
  /** The policy's own action this tick (normalized, may be NaN), for shadow agreement reports. */
  readonly policyAction: Float64Array;
  source: ControlSource;
  publish: boolean;
  /** Events taken into this tick (a fresh array only on ticks that have events). */
  events: SafetyEvent[];
  supportGap: number;
}

const NO_EVENTS: SafetyEvent[] = [];

export class SafetyCore {
  readonly periodMs: number;
  readonly estop = new EStopLatch();
  readonly task: TaskFunctions;
  private readonly cfg: SafetyCoreConfig;
  private readonly scheduler: SchedulerLike;
  private readonly signals: Float64Array;
  private readonly obs: Float32Array;
  private readonly raw: Float64Array;
  private readonly fb: Float64Array;
  private readonly zeroNorm: Float64Array;
  private readonly out: TickOutput;
  private readonly state$ = new SampleSource<JointSample>();
  private readonly obs$ = new SampleSource<VectorSample>();
  private readonly action$ = new SampleSource<VectorSample>();
  private readonly timing$ = new SampleSource<TickTiming>();
  private readonly gap$ = new SampleSource<GapSample>();
  private readonly episode$ = new SampleSource<EpisodeSample>();
  private readonly jointSample: JointSample;
  private readonly obsSample: VectorSample;
  private readonly actionSample: VectorSample;
  private readonly timing: TickTiming = { tick: 0, start: 0, end: 0 };
  private readonly gapSample: GapSample = { stamp: 0, gap: 0 };
  private readonly subscription: Subscription;
  private pending: SafetyEvent[] = [];
  private tickCount = 0;
  private lastSource: ControlSource = "policy";
  private readonly softLimits: SoftPositionLimits;
  private readonly softLo: Float64Array;
  private readonly softHi: Float64Array;
  /** Per actuator, the index of its joint's effort in the signals (-1: unknown, several actuators on it). */
  private readonly effortIndex: Int32Array;
  private readonly measured: Float64Array;
  /** The next policy tick is a start (first tick, after an e-stop reset): rate-limit from the measured effort. */
  private starting = true;

  constructor(config: SafetyCoreConfig) {
    const { spec, scheduler } = config;
    this.cfg = config;
    this.scheduler = scheduler;
    this.periodMs = 1000 / spec.control.rate_hz;
    this.task = compileTask(spec);
    const layout = this.task.layout;
    const nj = spec.joints.length;
    const na = spec.actuators.length;
    this.signals = new Float64Array(layout.size);
    this.obs = new Float32Array(this.task.obsDim);
    this.raw = new Float64Array(na);
    this.fb = new Float64Array(na);
    this.zeroNorm = new Float64Array(na);
    const lim = config.shield.limits;
    for (let i = 0; i < na; i++)
      this.zeroNorm[i] = (2 * (lim.zero[i] - lim.rangeLo[i])) / (lim.rangeHi[i] - lim.rangeLo[i]) - 1;
    this.jointSample = {
      stamp: 0,
      position: this.signals.subarray(layout.position, layout.position + nj),
      velocity: this.signals.subarray(layout.velocity, layout.velocity + nj),
      effort: this.signals.subarray(layout.effort, layout.effort + nj),
    };
    this.effortIndex = Int32Array.from(spec.actuators, (a) => {
      const j = spec.joints.findIndex((jt) => jt.name === a.joint);
      const shared = spec.actuators.filter((b) => b.joint === a.joint).length > 1;
      return j < 0 || shared ? -1 : layout.effort + j;
    });
    this.measured = new Float64Array(na);
    this.softLimits = new SoftPositionLimits(spec, lim);
    this.softLo = new Float64Array(na);
    this.softHi = new Float64Array(na);
    this.obsSample = { stamp: 0, values: this.obs };
    this.actionSample = { stamp: 0, values: this.raw };
    this.out = {
      tick: 0,
      command: new Float64Array(na),
      action: new Float64Array(na),
      policyAction: this.raw,
      source: "policy",
      publish: false,
      events: NO_EVENTS,
      supportGap: 0,
    };

    const streams = [
      this.state$.pipe(jointLimits({ ...jointLimitsConfigFromSpec(spec), scheduler })),
      this.state$.pipe(
        staleState({
          maxAgeMs: spec.control.max_state_age_ms,
          maxRepeats: config.frozenRepeats,
          fatalAfterMs: config.estopAfterStaleMs ?? 5 * spec.control.max_state_age_ms,
          scheduler,
        }),
      ),
      this.obs$.pipe(nonFiniteGuard({ what: "observation", names: this.task.obsNames, scheduler })),
      this.action$.pipe(nonFiniteGuard({ what: "policy_output", names: this.task.actNames, scheduler })),
      this.timing$.pipe(controlDeadline({ periodMs: this.periodMs, budgetMs: config.budgetMs, scheduler })),
    ];
    if (config.stateBox) {
      streams.push(
        this.obs$.pipe(stateSupport({ ...config.stateBox, names: this.task.obsNames, scheduler })),
      );
    }
    if (config.supportGap) streams.push(this.gap$.pipe(supportGap({ ...config.supportGap, scheduler })));
    if (config.returnCollapse)
      streams.push(this.episode$.pipe(returnCollapse({ ...config.returnCollapse, scheduler })));
    this.subscription = merge(...streams).subscribe((e) => this.pending.push(e));
  }

  /** One control tick for the state `signals` (robot signal layout) stamped `stampMs`. */
  tick(stampMs: number, signals: ArrayLike<number>): TickOutput {
    const cfg = this.cfg;
    const shield = cfg.shield;
    const out = this.out;
    const tick = this.tickCount++;
    out.tick = tick;

    // 1. state; a policy that computes elsewhere (Controller.begin, a worker) starts first, so the state
    // monitors and the support model run while it computes (the e-stop latch does not move before step 3).
    const sig = this.signals;
    for (let i = 0; i < sig.length; i++) sig[i] = signals[i];
    this.task.observe(sig, this.obs);
    const policyOn = !this.estop.engaged;
    const early = policyOn && cfg.policy.begin !== undefined;
    // The policy's time runs from the hand-over to its answer.
    let start = 0;
    let crashed: unknown = undefined;
    if (early) {
      start = this.scheduler.now();
      if (cfg.policy.begin !== undefined) {
        try {
          cfg.policy.begin(this.obs, sig);
        } catch (err) {
          crashed = err;
        }
      }
    }
    this.jointSample.stamp = stampMs;
    this.state$.next(this.jointSample);
    const now = this.scheduler.now();
    this.obsSample.stamp = now;
    this.obs$.next(this.obsSample);

    // 2. policy (skipped while the e-stop is engaged)
    let gap = 0;
    if (policyOn) {
      shield.prepare(this.obs);
      if (!early) start = this.scheduler.now();
      if (crashed === undefined) {
        try {
          cfg.policy.act(this.obs, sig, this.raw);
        } catch (err) {
          crashed = err;
        }
      }
      if (crashed !== undefined) this.raw.fill(NaN);
      const end = this.scheduler.now();
      if (crashed instanceof PolicyTimeoutError) {
        const budget = cfg.budgetMs ?? this.periodMs;
        this.pending.push(
          safetyEvent("control_deadline", "timeout", "error", budget, end - start, end, crashed.message),
        );
      } else if (crashed !== undefined) {
        const msg = crashed instanceof Error ? crashed.message : String(crashed);
        this.pending.push(safetyEvent("policy", "crash", "error", 0, 0, end, `policy threw: ${msg}`));
      }
      this.timing.tick = tick;
      this.timing.start = start;
      this.timing.end = end;
      this.timing$.next(this.timing);
      this.actionSample.stamp = end;
      this.action$.next(this.actionSample);
      gap = shield.measureGap(this.raw);
      this.gapSample.stamp = end;
      this.gapSample.gap = gap;
      this.gap$.next(this.gapSample);
    } else {
      // No policy runs while the e-stop is engaged; the loop itself is alive, so the deadline is met. A
      // policy with memory still takes the tick into it (the robot made the step, under zero effort).
      if (cfg.policy.observe !== undefined) {
        try {
          cfg.policy.observe(this.obs, sig);
        } catch (err) {
          const msg = err instanceof Error ? err.message : String(err);
          this.pending.push(
            safetyEvent("policy", "crash", "error", 0, 0, now, `policy threw taking an e-stop tick: ${msg}`),
          );
        }
      }
      this.raw.fill(NaN);
      this.timing.tick = tick;
      this.timing.start = now;
      this.timing.end = now;
      this.timing$.next(this.timing);
    }
    out.supportGap = gap;

    // 3. decide
    let worst = -1;
    let stateFault = false;
    let fatal: SafetyEvent | undefined = undefined;
    const events = this.pending;
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      const rank = SEVERITY_RANK[e.severity];
      if (rank > worst) worst = rank;
      if (e.severity === "fatal" && fatal === undefined && (cfg.shadow !== true || judgesPolicyOutput(e)))
        fatal = e;
      if (rank >= SEVERITY_RANK.error && eventSubject(e) === "untrusted_state") stateFault = true;
    }
    if (fatal !== undefined && this.estop.trip(fatal)) {
      if (cfg.log) cfg.log.record({ kind: "estop", tick, engaged: true, by: fatal.monitor, cause: fatal });
    }

    let source: ControlSource;
    if (this.estop.engaged) {
      source = "estop";
      const lim = shield.limits;
      for (let i = 0; i < out.command.length; i++) {
        out.command[i] = lim.zero[i];
        out.action[i] = this.zeroNorm[i];
      }
      shield.force(this.zeroNorm);
    } else {
      if (this.starting) {
        // Rate-limit the first command from what the actuators do now (NaN: unknown, taken as zero effort).
        this.starting = false;
        for (let i = 0; i < this.measured.length; i++)
          this.measured[i] = this.effortIndex[i] < 0 ? NaN : sig[this.effortIndex[i]];
        shield.resetToMeasured(this.measured);
      }
      if (this.softLimits.active && this.softLimits.bounds(sig, this.softLo, this.softHi))
        shield.prepareSoftLimits(this.softLo, this.softHi);
      let result;
      if (worst >= SEVERITY_RANK.error) {
        if (!stateFault && cfg.fallback !== undefined && tryAct(cfg.fallback, this.obs, sig, this.fb)) {
          result = shield.apply(this.fb);
          source = "fallback";
        } else {
          result = shield.apply(shield.lastSafe);
          source = "hold";
        }
      } else {
        result = shield.apply(this.raw);
        source = result.flags.nonFinite ? "hold" : "policy";
      }
      out.command.set(result.command);
      out.action.set(result.action);
    }
    out.source = source;
    out.publish = cfg.shadow !== true;

    // 4. report
    if (source !== this.lastSource) {
      if (cfg.log) cfg.log.record({ kind: "source", tick, from: this.lastSource, to: source });
      this.lastSource = source;
    }
    if (events.length > 0) {
      if (cfg.log) for (const e of events) cfg.log.record({ kind: "event", tick, event: e });
      out.events = events;
      this.pending = [];
    } else {
      out.events = NO_EVENTS;
    }
    return out;
  }

  /** Reports a finished episode's return to the return-collapse monitor (its events join the next tick). */
  endEpisode(episode: number, ret: number): void {
    this.episode$.next({ stamp: this.scheduler.now(), episode, return: ret });
    // No `finish` first: the last step's outcome would only lower a return-to-go this reset puts back at the
    // target (the node reports none), so a decision transformer acts the same without it.
    this.cfg.policy.reset?.();
  }

  /**
   * An event from outside the monitors, e.g. a node callback that threw. Recorded in the run log now, not at
   * the next tick (a broken timer may never tick again); a fatal one latches the e-stop now, in shadow too:
   * it is the node's own fault, so nothing it computes can be trusted. Returns true when this engaged the
   * latch.
   */
  raise(event: SafetyEvent): boolean {
    const tick = this.tickCount;
    if (this.cfg.log) this.cfg.log.record({ kind: "event", tick, event });
    if (event.severity !== "fatal" || !this.estop.trip(event)) return false;
    if (this.cfg.log)
      this.cfg.log.record({ kind: "estop", tick, engaged: true, by: event.monitor, cause: event });
    return true;
  }

  /**
   * Explicit e-stop reset (operator or service). The next tick is a start: its command is rate-limited from
   * the measured effort (zero effort when the robot reports none).
   */
  resetEStop(by: string): boolean {
    const was = this.estop.reset(by);
    if (was) {
      this.starting = true;
      if (this.cfg.log) this.cfg.log.record({ kind: "estop", tick: this.tickCount, engaged: false, by });
    }
    return was;
  }

  /** Events that arrived since the last tick (timers), without deciding anything. */
  peekPending(): readonly SafetyEvent[] {
    return this.pending;
  }

  close(): void {
    this.subscription.unsubscribe();
  }
}
