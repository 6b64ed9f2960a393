/**
 * `policy.onnx` for a policy package: the actor graph policy/ describes (onnx-actor.ts), encoded by the
 * engine's ONNX writer. Every package writer passes `exportPolicyOnnx` to writePolicyPackage; `tether
 * export` uses it for packages written before it existed, and checks the result with `comparePolicyOnnx`.
 */
import { createHash } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Tensor } from "onnxruntime-node";
import { TetherError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import {
  actorGraph,
  POLICY_ONNX_INPUT,
  POLICY_ONNX_OUTPUT,
  type OnnxGraphSpec,
  type OnnxValueSpec,
} from "../policy/onnx-actor.js";
import { ONNX_FILE } from "../policy/manifest.js";
import { attachPolicyOnnx, type PolicyPackage } from "../policy/package.js";
import { PolicyRunner } from "../policy/runner.js";
import { scaleToRange } from "../robot/task-functions.js";
import { compareDtOnnx, exportDtPackageOnnx } from "./algos/dt-onnx.js";
import { createSession, encodeModel, type ModelSpec, type ValueInfo } from "../tensor/onnx-model.js";

/** How far ONNX Runtime (float32) may stray from PolicyRunner (float64 accumulation), in actuator units. */
export const POLICY_ONNX_TOLERANCE = 1e-5;

export function exportPolicyOnnx(pkg: PolicyPackage): { bytes: Uint8Array; opset: number } {
  if (pkg.transformer) return exportDtPackageOnnx(pkg);
  const graph = actorGraph(pkg);
  return { bytes: encodeModel(modelSpec(graph)), opset: graph.opset };
}

/** The actor graph is all float32; the engine's description names each element type. */
function modelSpec(graph: OnnxGraphSpec): ModelSpec {
  const value = (v: OnnxValueSpec): ValueInfo => ({ name: v.name, dtype: "float32", shape: v.shape });
  return {
    graphName: graph.name,
    docString: graph.doc,
    opset: graph.opset,
    inputs: graph.inputs.map(value),
    outputs: graph.outputs.map(value),
    initializers: graph.initializers.map((t) => ({ ...t, dtype: "float32" })),
    nodes: graph.nodes,
    metadata: graph.metadata,
  };
}

export interface PolicyOnnxComparison {
  rows: number;
  /** Shape of ONNX Runtime's output: [rows, act] when the graph is right. */
  dims: number[];
  /** Largest |ONNX Runtime - PolicyRunner| over all rows and action components, in actuator units. */
  max_abs_diff: number;
  /** ONNX Runtime's [rows, act] output, row-major. */
  onnx: Float32Array;
  /** PolicyRunner's actions scaled to actuator units, row-major. */
  runner: Float64Array;
}

/**
 * Runs `bytes` in ONNX Runtime (CPU) on `rows` random raw observations, one batch, and compares with
 * PolicyRunner.act + scaling to the manifest's bounds. Observations spread around the package's
 * normalization, every seventh entry far out so that actions saturate.
 */
export async function comparePolicyOnnx(
  pkg: PolicyPackage,
  bytes: Uint8Array,
  options: { rows?: number; seed?: number } = {},
): Promise<PolicyOnnxComparison> {
  // A decision transformer's input is a context window: random windows against DtRunner.
  if (pkg.transformer) return compareDtOnnx(pkg, bytes, options);
  const rows = options.rows ?? 1000;
  const { mean, std, dim: obsDim } = pkg.manifest.observation;
  const { dim: actDim, low, high } = pkg.manifest.action;
  const rng = new Rng(options.seed ?? 0);
  const obs = Float32Array.from({ length: rows * obsDim }, (_, i) => {
    const spread = i % 7 === 0 ? 6 : 2;
    return mean[i % obsDim] + std[i % obsDim] * rng.normal(0, spread);
  });

  const session = await createSession(bytes, { device: "cpu" });
  let onnx: Float32Array;
  let dims: readonly number[];
  try {
    const result = await session.run({
      [POLICY_ONNX_INPUT]: new Tensor("float32", obs, [rows, obsDim]),
    });
    onnx = result[POLICY_ONNX_OUTPUT].data as Float32Array;
    dims = result[POLICY_ONNX_OUTPUT].dims;
  } finally {
    await session.release();
  }

  const policy = PolicyRunner.fromPackage(pkg);
  const runner = new Float64Array(rows * actDim);
  const a = new Float64Array(actDim);
  let worst = 0;
  for (let r = 0; r < rows; r++) {
    policy.act(obs.subarray(r * obsDim, (r + 1) * obsDim), a);
    for (let j = 0; j < actDim; j++) {
      const k = r * actDim + j;
      runner[k] = scaleToRange(a[j], low[j], high[j]);
      const d = Math.abs(onnx[k] - runner[k]);
      // A NaN on either side is the worst disagreement there is.
      worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
    }
  }
  return { rows, dims: [...dims], max_abs_diff: worst, onnx, runner };
}

export interface PolicyOnnxExport {
  file: string;
  bytes: number;
  sha256: string;
  opset: number;
  /** True when the file is the package's own policy.onnx (then recorded in its policy.json). */
  in_package: boolean;
  check: { rows: number; max_abs_diff: number; tolerance: number };
}

/**
 * `tether export`: encodes the package's actor, checks it in ONNX Runtime against PolicyRunner on 1,000
 * random observations, and only then writes it: to `<package>/policy.onnx` (recorded in the manifest) when
 * `outFile` is that path or omitted, else to `outFile` alone.
 */
export async function exportPolicyOnnxFile(pkg: PolicyPackage, outFile?: string): Promise<PolicyOnnxExport> {
  const own = join(pkg.dir, ONNX_FILE);
  const file = outFile === undefined ? own : resolve(outFile);
  const onnx = exportPolicyOnnx(pkg);
  // A decision transformer's check runs a whole transformer per window in plain TS: fewer rows.
  const cmp = await comparePolicyOnnx(pkg, onnx.bytes, { rows: pkg.transformer ? 200 : 1000 });
  if (!(cmp.max_abs_diff <= POLICY_ONNX_TOLERANCE)) {
    throw new TetherError(
      "ONNX_EXPORT",
      `${pkg.dir}: the exported actor disagrees with PolicyRunner: max |difference| ${cmp.max_abs_diff} over ` +
        `${cmp.rows} ${pkg.transformer ? "context windows" : "observations"} exceeds ${POLICY_ONNX_TOLERANCE}; nothing was written`,
      { package: pkg.dir, max_abs_diff: cmp.max_abs_diff },
    );
  }
  if (file === own) {
    attachPolicyOnnx(pkg, onnx);
  } else {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, onnx.bytes);
    renameSync(tmp, file);
  }
  return {
    file,
    bytes: onnx.bytes.length,
    sha256: createHash("sha256").update(onnx.bytes).digest("hex"),
    opset: onnx.opset,
    in_package: file === own,
    check: { rows: cmp.rows, max_abs_diff: cmp.max_abs_diff, tolerance: POLICY_ONNX_TOLERANCE },
  };
}
