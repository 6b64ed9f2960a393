/**
 * Replaying a Tether dataset: datasets hold observations and actions, not raw topics, so replay publishes
 *   <robot command topic>       std_msgs/msg/Float64MultiArray  the recorded action (actuator units)
 *   /tether/replay/observation  std_msgs/msg/Float64MultiArray  the observation (layout labels = names)
 *   /tether/replay/episode      std_msgs/msg/Int32              episode index, at each episode start
 * at the recorded timestamps (or the robot's control rate when the dataset has none).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { openDataset, readEpisodes } from "../../data/dataset-reader.js";
import { loadRobot, ROBOTS_DIR } from "../../robot/load.js";
import { commandTopic } from "../../robot/spec.js";
import type { ReplayMessage, ReplaySource, ReplayTopic } from "./replay-source.js";

export const OBSERVATION_TOPIC = "/tether/replay/observation";
export const EPISODE_TOPIC = "/tether/replay/episode";

export function openDatasetReplaySource(path: string): ReplaySource {
  const ds = openDataset(path);
  const m = ds.manifest;
  const robotKnown = existsSync(join(ROBOTS_DIR, m.robot, "robot.yaml"));
  const spec = robotKnown ? loadRobot(m.robot).spec : undefined;
  const cmdTopic = spec ? commandTopic(spec) : "/tether/replay/action";
  const periodNs = BigInt(Math.round(1e9 / (spec?.control.rate_hz ?? 50)));
  const topics: ReplayTopic[] = [
    { name: cmdTopic, type: "std_msgs/msg/Float64MultiArray" },
    { name: OBSERVATION_TOPIC, type: "std_msgs/msg/Float64MultiArray" },
    {
      name: EPISODE_TOPIC,
      type: "std_msgs/msg/Int32",
      qos: { depth: 1, reliability: "reliable", durability: "transient_local" },
    },
  ];
  const obsLayout = {
    dim: [{ label: m.obsNames.join(","), size: m.obsNames.length, stride: m.obsNames.length }],
    data_offset: 0,
  };
  const actLayout = {
    dim: [{ label: m.actNames.join(","), size: m.actNames.length, stride: m.actNames.length }],
    data_offset: 0,
  };
  const obsDim = m.obsNames.length;
  const actDim = m.actNames.length;
  let count = 0;
  for (const ep of readEpisodes(ds)) count += 1 + (ep.steps + 1) + ep.steps;
  return {
    path,
    kind: "dataset",
    topics,
    startNs: 0n,
    endNs: 0n,
    messageCount: count,
    async *messages(only) {
      let clock = 0n;
      for (const ep of readEpisodes(ds)) {
        const stamps = ep.timestamps.length === ep.steps + 1 ? ep.timestamps : undefined;
        const t0 = clock;
        const at = (i: number): bigint =>
          stamps ? BigInt(Math.round(stamps[i] * 1e9)) : t0 + BigInt(i) * periodNs;
        const out: ReplayMessage[] = [];
        if (only.has(EPISODE_TOPIC))
          out.push({ topic: EPISODE_TOPIC, logTimeNs: at(0), message: { data: ep.index } });
        for (let i = 0; i <= ep.steps; i++) {
          if (only.has(OBSERVATION_TOPIC)) {
            out.push({
              topic: OBSERVATION_TOPIC,
              logTimeNs: at(i),
              message: {
                layout: obsLayout,
                data: Float64Array.from(ep.observations.subarray(i * obsDim, (i + 1) * obsDim)),
              },
            });
          }
          if (i < ep.steps && only.has(cmdTopic)) {
            out.push({
              topic: cmdTopic,
              logTimeNs: at(i),
              message: {
                layout: actLayout,
                data: Float64Array.from(ep.actions.subarray(i * actDim, (i + 1) * actDim)),
              },
            });
          }
        }
        yield* out;
        clock = at(ep.steps) + periodNs;
      }
    },
    close: async () => {},
  };
}
