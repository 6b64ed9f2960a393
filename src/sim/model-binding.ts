/**
 * Binds a robot spec to a compiled MuJoCo model: every spec joint and actuator must exist in the MJCF under
 * the same name, joints must be 1-DOF (hinge or slide), and each actuator must drive the joint the spec says.
 * Errors name robot.yaml's field and the MJCF file.
 */
import { ConfigError } from "../core/errors.js";
import type { LoadedRobot } from "../robot/load.js";
import type { MjModel, MujocoModule } from "./mujoco.js";

export interface ModelBinding {
  /** qpos address of each spec joint. */
  qposAdr: Int32Array;
  /** qvel / dof address of each spec joint. */
  dofAdr: Int32Array;
  /** MuJoCo actuator index of each spec actuator. */
  ctrlIdx: Int32Array;
  ctrlLow: Float64Array;
  ctrlHigh: Float64Array;
}

const MJ_JNT_SLIDE = 2;
const MJ_JNT_HINGE = 3;
const MJ_TRN_JOINT = 0;

export function bindModel(mj: MujocoModule, model: MjModel, robot: LoadedRobot): ModelBinding {
  const { spec, specFile, modelFile } = robot;
  const jointIds = spec.joints.map((j, i) => {
    const id = mj.mj_name2id(model, mj.mjtObj.mjOBJ_JOINT.value, j.name);
    if (id < 0)
      throw new ConfigError(
        specFile,
        `joints.${i}.name`,
        `joint "${j.name}" is not in the MJCF model ${modelFile}`,
      );
    const type = model.jnt_type[id] as number;
    if (type !== MJ_JNT_HINGE && type !== MJ_JNT_SLIDE)
      throw new ConfigError(
        specFile,
        `joints.${i}.name`,
        `joint "${j.name}" must be a hinge or slide joint in ${modelFile}`,
        {
          actual: `mjtJoint ${type}`,
        },
      );
    return id;
  });
  const qposAdr = Int32Array.from(jointIds, (id) => model.jnt_qposadr[id] as number);
  const dofAdr = Int32Array.from(jointIds, (id) => model.jnt_dofadr[id] as number);

  const n = spec.actuators.length;
  const ctrlIdx = new Int32Array(n);
  const ctrlLow = new Float64Array(n);
  const ctrlHigh = new Float64Array(n);
  spec.actuators.forEach((a, i) => {
    const id = mj.mj_name2id(model, mj.mjtObj.mjOBJ_ACTUATOR.value, a.name);
    if (id < 0)
      throw new ConfigError(
        specFile,
        `actuators.${i}.name`,
        `actuator "${a.name}" is not in the MJCF model ${modelFile}`,
      );
    const jointIndex = spec.joints.findIndex((j) => j.name === a.joint);
    if (
      (model.actuator_trntype[id] as number) !== MJ_TRN_JOINT ||
      (model.actuator_trnid[2 * id] as number) !== jointIds[jointIndex]
    )
      throw new ConfigError(
        specFile,
        `actuators.${i}.joint`,
        `MJCF actuator "${a.name}" does not drive joint "${a.joint}" in ${modelFile}`,
      );
    ctrlIdx[i] = id;
    [ctrlLow[i], ctrlHigh[i]] = a.range;
  });
  if (model.nu !== n)
    throw new ConfigError(
      specFile,
      "actuators",
      `the MJCF model ${modelFile} has ${model.nu} actuators, the spec lists ${n}`,
    );
  return { qposAdr, dofAdr, ctrlIdx, ctrlLow, ctrlHigh };
}
