/**
 * A synthetic robot run written as a Tether MCAP run log: /joint_states at the control rate, the
 * controller's commands (stamped with the state they answer, as in lock-step simulation), task topics,
 * an optional episode topic and /clock. Used by the import benchmark and tests; `truth` holds what was
 * written so an import can be checked against it.
 */
import { Rng } from "../../core/rng.js";
import { commandTopic, type RobotSpec } from "../../robot/spec.js";
import { RunLogWriter, type RunLogOptions } from "../runlog/run-log-writer.js";

export interface SyntheticLogOptions {
  steps: number;
  seed?: number;
  startNs?: bigint;
  /** Delay of each command after its state (default 0: same stamp). */
  commandDelayNs?: bigint;
  /** Publish an episode index on this topic; the state resets every `episodeLength` steps. */
  episodeTopic?: string;
  episodeLength?: number;
  /** Robot joint -> name written in JointState.name (default: the same). */
  jointNames?: Record<string, string>;
  /** Topic overrides. */
  jointStatesTopic?: string;
  commandTopic?: string;
  taskTopics?: Record<string, string>;
  /** Actuator names in data[] order (default: robot order). */
  commandOrder?: string[];
  clock?: boolean;
  compression?: RunLogOptions["compression"];
}

export interface SyntheticTruth {
  tNs: bigint[];
  /** steps x joints */
  positions: Float64Array;
  velocities: Float64Array;
  /** steps x actuators, actuator units, robot order */
  commands: Float64Array;
  /** task name -> field values (constant per episode) per step, steps x fields */
  tasks: Record<string, Float64Array>;
  episode: Int32Array;
  messages: number;
}

export async function writeSyntheticRunLog(
  file: string,
  spec: RobotSpec,
  options: SyntheticLogOptions,
): Promise<SyntheticTruth> {
  const rng = new Rng(options.seed ?? 0);
  const nJ = spec.joints.length;
  const nA = spec.actuators.length;
  const periodNs = 1e9 / spec.control.rate_hz;
  const start = options.startNs ?? 1_700_000_000_000_000_000n;
  const log = await RunLogWriter.create(file, {
    compression: options.compression ?? "lz4",
    metadata: { robot: spec.name, generator: "synthetic" },
  });
  const names = spec.joints.map((j) => options.jointNames?.[j.name] ?? j.name);
  const order = options.commandOrder ?? spec.actuators.map((a) => a.name);
  const cmdTopic = options.commandTopic ?? commandTopic(spec);
  const truth: SyntheticTruth = {
    tNs: [],
    positions: new Float64Array(options.steps * nJ),
    velocities: new Float64Array(options.steps * nJ),
    commands: new Float64Array(options.steps * nA),
    tasks: Object.fromEntries(
      spec.ros.task_topics.map((t) => [t.name, new Float64Array(options.steps * t.fields.length)]),
    ),
    episode: new Int32Array(options.steps),
    messages: 0,
  };
  const pos = new Float64Array(nJ);
  const vel = new Float64Array(nJ);
  const taskValues = spec.ros.task_topics.map((t) => new Float64Array(t.fields.length));
  let episode = -1;
  const data = new Float64Array(nA);
  for (let k = 0; k < options.steps; k++) {
    const t = start + BigInt(Math.round(k * periodNs));
    const len = options.episodeLength ?? Number.POSITIVE_INFINITY;
    if (k === 0 || k % len === 0) {
      episode++;
      for (let j = 0; j < nJ; j++) {
        pos[j] = rng.uniform(-0.5, 0.5);
        vel[j] = 0;
      }
      spec.ros.task_topics.forEach((task, i) => {
        for (let f = 0; f < task.fields.length; f++) taskValues[i][f] = rng.uniform(-0.2, 0.2);
        log.command(options.taskTopics?.[task.name] ?? task.topic, t, taskValues[i]);
        truth.messages++;
      });
      if (options.episodeTopic) {
        log.write(options.episodeTopic, "std_msgs/msg/Int32", t, { data: episode });
        truth.messages++;
      }
    }
    truth.tNs.push(t);
    truth.episode[k] = episode;
    truth.positions.set(pos, k * nJ);
    truth.velocities.set(vel, k * nJ);
    spec.ros.task_topics.forEach((task, i) =>
      truth.tasks[task.name].set(taskValues[i], k * task.fields.length),
    );
    if (options.clock) log.clock(t);
    log.jointState(t, names, pos, vel, new Float64Array(nJ), options.jointStatesTopic);
    const cmd = spec.actuators.map((a) => rng.uniform(a.range[0], a.range[1]));
    truth.commands.set(cmd, k * nA);
    order.forEach((name, i) => (data[i] = cmd[spec.actuators.findIndex((a) => a.name === name)]));
    log.command(cmdTopic, t + (options.commandDelayNs ?? 0n), data);
    truth.messages += options.clock ? 3 : 2;
    // A gentle damped integrator per actuated joint (|velocity| < 0.5 rad/s).
    spec.actuators.forEach((a, i) => {
      const j = spec.joints.findIndex((x) => x.name === a.joint);
      vel[j] = 0.9 * vel[j] + 0.05 * (cmd[i] / Math.max(Math.abs(a.range[1]), 1e-9));
    });
    for (let j = 0; j < nJ; j++) pos[j] += vel[j] / spec.control.rate_hz;
  }
  await log.close();
  return truth;
}
