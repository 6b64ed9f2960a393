/**
 * Policy package (`models/<name>/`): `policy.json` (manifest, see manifest.ts) + `weights.bin` (float32 LE)
 * + `policy.onnx` (the actor as ONNX; older packages lack it). The trainer writes it with
 * `writePolicyPackage`; eval, the policy node and the safety clamps read it with `loadPolicyPackage`.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError, ShapeMismatchError, assertFinite } from "../core/errors.js";
import { REPO_ROOT, zodToConfigError } from "../robot/load.js";
import {
  MANIFEST_FILE,
  ManifestSchema,
  ONNX_FILE,
  POLICY_FORMAT,
  POLICY_FORMAT_VERSION,
  WEIGHTS_FILE,
  type LayerRef,
  type PolicyKind,
  type PolicyManifest,
} from "./manifest.js";
import { checkLayers, type DenseLayerWeights } from "./network.js";
import type { ActionQuantiles, ConditionalSupportWeights } from "./support.js";
import { codeVersion } from "./code-version.js";

export interface PolicyProvenance {
  algorithm: string;
  /** Dataset path or name as given to the trainer. */
  dataset?: string;
  datasetHash: string;
  config: Record<string, unknown>;
  metrics: Record<string, unknown>;
  /** Defaults to codeVersion() (package version + git commit when the repo has one). */
  codeVersion?: string;
  seed?: number;
}

/** The trainer's actor export (same shape as `ActorWeights` in src/rl/networks/weights-format.ts). */
export interface PackageActorWeights {
  kind: PolicyKind;
  obsDim: number;
  actDim: number;
  network: { layers: DenseLayerWeights[] };
  /** Observation normalization: the network sees (obs - obsMean) / obsStd. */
  obsMean: ArrayLike<number>;
  obsStd: ArrayLike<number>;
}

export interface PolicyPackageInput {
  robot: string;
  obsNames: string[];
  actNames: string[];
  /** Actuator-unit bounds ([-1, 1] maps onto [low, high]). */
  actionLow: ArrayLike<number>;
  actionHigh: ArrayLike<number>;
  actor: PackageActorWeights;
  support: { quantiles: ActionQuantiles; conditional?: ConditionalSupportWeights };
  provenance: PolicyProvenance;
  /** ISO time; defaults to now. */
  created?: string;
  /** Writes policy.onnx too (every trainer passes src/rl/policy-onnx.ts's exporter). */
  exportOnnx?: PolicyOnnxExporter;
}

export interface PolicyPackage {
  dir: string;
  manifest: PolicyManifest;
  policyLayers: DenseLayerWeights[];
  support: { quantiles: ActionQuantiles; conditional?: ConditionalSupportWeights };
  /** Absolute path of the package's policy.onnx (checked against its manifest entry), if it has one. */
  onnxFile?: string;
}

/**
 * Builds the package's policy.onnx. The writers receive it from rl/ (src/rl/policy-onnx.ts): the ONNX
 * serializer lives in the engine (src/tensor/), which policy/ may not import.
 */
export type PolicyOnnxExporter = (pkg: PolicyPackage) => { bytes: Uint8Array; opset: number };

export function kindOutputDim(kind: PolicyKind, actDim: number): number {
  return kind === "deterministic" ? actDim : 2 * actDim;
}

/**
 * Validates the input, then writes weights.bin and policy.json (each via a temp file and rename), and
 * policy.onnx when given its exporter.
 */
export function writePolicyPackage(dir: string, input: PolicyPackageInput): PolicyPackage {
  const obsDim = input.obsNames.length;
  const actDim = input.actNames.length;
  const checkLen = (what: string, a: ArrayLike<number>, n: number): void => {
    if (a.length !== n) throw new ShapeMismatchError(what, n, a.length);
    assertFinite(what, a);
  };
  const actor = input.actor;
  if (actor.obsDim !== obsDim) throw new ShapeMismatchError("actor.obsDim vs obsNames", obsDim, actor.obsDim);
  if (actor.actDim !== actDim) throw new ShapeMismatchError("actor.actDim vs actNames", actDim, actor.actDim);
  checkLen("obsMean", actor.obsMean, obsDim);
  checkLen("obsStd", actor.obsStd, obsDim);
  checkLen("actionLow", input.actionLow, actDim);
  checkLen("actionHigh", input.actionHigh, actDim);
  const layers = actor.network.layers;
  checkLayers("policy", layers, obsDim);
  const outDim = layers[layers.length - 1].outDim;
  if (outDim !== kindOutputDim(actor.kind, actDim)) {
    throw new ShapeMismatchError(
      `policy output (kind ${actor.kind})`,
      kindOutputDim(actor.kind, actDim),
      outDim,
    );
  }
  const q = input.support.quantiles;
  if (q.values.length !== actDim)
    throw new ShapeMismatchError(
      "support.quantiles.values (one row per action dim)",
      actDim,
      q.values.length,
    );
  q.values.forEach((row, d) => checkLen(`support.quantiles.values[${d}]`, row, q.levels.length));
  const cond = input.support.conditional;
  if (cond) {
    checkLayers("support.conditional", cond.layers, obsDim);
    const cOut = cond.layers[cond.layers.length - 1].outDim;
    if (cOut !== 2 * actDim)
      throw new ShapeMismatchError("support.conditional output (2 × actDim)", 2 * actDim, cOut);
  }

  // Lay out all tensors in one float32 buffer.
  const chunks: Float32Array[] = [];
  let floats = 0;
  const place = (a: Float32Array): number => {
    assertFinite("weights", a);
    chunks.push(a);
    const byteOffset = floats * 4;
    floats += a.length;
    return byteOffset;
  };
  const refs = (layers: DenseLayerWeights[]): LayerRef[] =>
    layers.map((l) => ({
      in_dim: l.inDim,
      out_dim: l.outDim,
      activation: l.activation,
      weight_offset: place(l.weight),
      bias_offset: place(l.bias),
    }));
  const policyRefs = refs(layers);
  const condRefs = cond ? refs(cond.layers) : undefined;
  const bytes = Buffer.alloc(floats * 4);
  let at = 0;
  for (const c of chunks) {
    for (let i = 0; i < c.length; i++) bytes.writeFloatLE(c[i], at + i * 4);
    at += c.length * 4;
  }

  const manifest: PolicyManifest = {
    format: POLICY_FORMAT,
    format_version: POLICY_FORMAT_VERSION,
    robot: input.robot,
    created: input.created ?? new Date().toISOString(),
    observation: {
      dim: obsDim,
      names: [...input.obsNames],
      mean: Array.from(actor.obsMean),
      std: Array.from(actor.obsStd),
    },
    action: {
      dim: actDim,
      names: [...input.actNames],
      low: Array.from(input.actionLow),
      high: Array.from(input.actionHigh),
    },
    policy: { kind: actor.kind, layers: policyRefs },
    support: {
      quantiles: { levels: [...q.levels], values: q.values.map((r) => [...r]) },
      conditional:
        cond && condRefs
          ? {
              layers: condRefs,
              log_std_min: cond.logStdMin,
              log_std_max: cond.logStdMax,
              squash_mean: cond.squashMean,
            }
          : undefined,
    },
    weights: {
      file: WEIGHTS_FILE,
      bytes: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    },
    provenance: {
      algorithm: input.provenance.algorithm,
      dataset: input.provenance.dataset,
      dataset_hash: input.provenance.datasetHash,
      config: input.provenance.config,
      metrics: input.provenance.metrics,
      code_version: input.provenance.codeVersion ?? codeVersion(),
      seed: input.provenance.seed,
    },
    stage_history: [],
  };
  // Fails here rather than at load time if something slipped through (e.g. std <= 0).
  const checked = ManifestSchema.safeParse(manifest);
  if (!checked.success) throw zodToConfigError(join(dir, MANIFEST_FILE), checked.error);

  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true });
  writeAtomic(join(abs, WEIGHTS_FILE), bytes);
  writeAtomic(join(abs, MANIFEST_FILE), JSON.stringify(checked.data, null, 2) + "\n");
  const pkg = loadPolicyPackage(abs);
  return input.exportOnnx ? attachPolicyOnnx(pkg, input.exportOnnx(pkg)) : pkg;
}

/**
 * Writes `<package>/policy.onnx` and records its size and checksum in policy.json (the manifest last, so
 * a crash in between leaves a valid package without ONNX).
 */
export function attachPolicyOnnx(
  pkg: PolicyPackage,
  onnx: { bytes: Uint8Array; opset: number },
): PolicyPackage {
  const manifestFile = join(pkg.dir, MANIFEST_FILE);
  writeAtomic(join(pkg.dir, ONNX_FILE), onnx.bytes);
  const manifest: PolicyManifest = {
    ...pkg.manifest,
    onnx: {
      file: ONNX_FILE,
      bytes: onnx.bytes.length,
      sha256: createHash("sha256").update(onnx.bytes).digest("hex"),
      opset: onnx.opset,
    },
  };
  const checked = ManifestSchema.safeParse(manifest);
  if (!checked.success) throw zodToConfigError(manifestFile, checked.error);
  writeAtomic(manifestFile, JSON.stringify(checked.data, null, 2) + "\n");
  return loadPolicyPackage(pkg.dir);
}

function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/**
 * A `--model` argument (or a node's `model` parameter, named by `field`): a folder holding policy.json, or
 * the name of one under models/. Every command and node resolves models here, with this one error.
 */
export function resolvePackageDir(model: string, field = "--model"): string {
  const dir = [resolve(model), join(REPO_ROOT, "models", model)].find((d) =>
    existsSync(join(d, MANIFEST_FILE)),
  );
  if (!dir) {
    throw new ConfigError(model, field, `no policy package (${MANIFEST_FILE}) there or under models/`, {
      hint: "train one with `tether train --out models/<name>`",
    });
  }
  return dir;
}

/**
 * Reads and validates a package; every problem names the file and field (or byte offset).
 * `ignoreOnnx` skips policy.onnx (for `tether export`, which writes it again from the weights).
 */
export function loadPolicyPackage(dir: string, options: { ignoreOnnx?: boolean } = {}): PolicyPackage {
  const abs = resolve(dir);
  const manifestFile = join(abs, MANIFEST_FILE);
  if (!existsSync(manifestFile)) {
    throw new ConfigError(manifestFile, "(file)", "policy package manifest not found", {
      hint: "train one with `tether train --out models/<name>` or pass the folder that holds policy.json",
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestFile, "utf8"));
  } catch (err) {
    throw new ConfigError(manifestFile, "(json)", (err as Error).message, { cause: err });
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) throw zodToConfigError(manifestFile, parsed.error);
  const m = parsed.data;
  const dimCheck = (field: string, got: number, want: number): void => {
    if (got !== want)
      throw new ConfigError(manifestFile, field, "length disagrees with the declared dimension", {
        expected: String(want),
        actual: String(got),
      });
  };
  dimCheck("observation.names", m.observation.names.length, m.observation.dim);
  dimCheck("observation.mean", m.observation.mean.length, m.observation.dim);
  dimCheck("observation.std", m.observation.std.length, m.observation.dim);
  dimCheck("action.names", m.action.names.length, m.action.dim);
  dimCheck("action.low", m.action.low.length, m.action.dim);
  dimCheck("action.high", m.action.high.length, m.action.dim);
  dimCheck("support.quantiles.values", m.support.quantiles.values.length, m.action.dim);

  const bytes = readCheckedFile(abs, manifestFile, "weights", m.weights);
  // policy.onnx is checked the same way (not parsed: policy/ runs the actor in plain TS).
  const onnx = options.ignoreOnnx ? undefined : m.onnx;
  if (onnx) {
    readCheckedFile(abs, manifestFile, "onnx", onnx, `\`tether export --model ${abs}\` writes it again`);
  }
  const readFloats = (field: string, byteOffset: number, n: number): Float32Array => {
    if (byteOffset % 4 !== 0 || byteOffset + n * 4 > bytes.length) {
      throw new ConfigError(
        manifestFile,
        field,
        `byte range [${byteOffset}, ${byteOffset + n * 4}) is outside ${m.weights.file} (${bytes.length} bytes) or unaligned`,
      );
    }
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = bytes.readFloatLE(byteOffset + i * 4);
    return out;
  };
  const layersOf = (field: string, refs: LayerRef[]): DenseLayerWeights[] =>
    refs.map((r, i) => ({
      inDim: r.in_dim,
      outDim: r.out_dim,
      activation: r.activation,
      weight: readFloats(`${field}[${i}].weight_offset`, r.weight_offset, r.in_dim * r.out_dim),
      bias: readFloats(`${field}[${i}].bias_offset`, r.bias_offset, r.out_dim),
    }));
  const policyLayers = layersOf("policy.layers", m.policy.layers);
  try {
    checkLayers("policy", policyLayers, m.observation.dim);
  } catch (err) {
    throw new ConfigError(manifestFile, "policy.layers", (err as Error).message, { cause: err });
  }
  const outDim = policyLayers[policyLayers.length - 1].outDim;
  dimCheck(
    `policy.layers (output for kind ${m.policy.kind})`,
    outDim,
    kindOutputDim(m.policy.kind, m.action.dim),
  );
  const c = m.support.conditional;
  let conditional: ConditionalSupportWeights | undefined;
  if (c) {
    conditional = {
      layers: layersOf("support.conditional.layers", c.layers),
      logStdMin: c.log_std_min,
      logStdMax: c.log_std_max,
      squashMean: c.squash_mean,
    };
    try {
      checkLayers("support.conditional", conditional.layers, m.observation.dim);
    } catch (err) {
      throw new ConfigError(manifestFile, "support.conditional.layers", (err as Error).message, {
        cause: err,
      });
    }
    dimCheck(
      "support.conditional.layers (output)",
      conditional.layers[conditional.layers.length - 1].outDim,
      2 * m.action.dim,
    );
  }
  return {
    dir: abs,
    manifest: m,
    policyLayers,
    support: { quantiles: m.support.quantiles, conditional },
    onnxFile: onnx ? join(abs, onnx.file) : undefined,
  };
}

/** Reads a file the manifest lists under `field` and checks its size and sha256. */
function readCheckedFile(
  dir: string,
  manifestFile: string,
  field: string,
  ref: { file: string; bytes: number; sha256: string },
  hint?: string,
): Buffer {
  const file = join(dir, ref.file);
  if (!existsSync(file))
    throw new ConfigError(manifestFile, `${field}.file`, `${file} does not exist`, { hint });
  const bytes = readFileSync(file);
  if (bytes.length !== ref.bytes) {
    throw new ConfigError(manifestFile, `${field}.bytes`, `${field} file size differs`, {
      expected: String(ref.bytes),
      actual: String(bytes.length),
      hint,
    });
  }
  const sha = createHash("sha256").update(bytes).digest("hex");
  if (sha !== ref.sha256) {
    throw new ConfigError(
      manifestFile,
      `${field}.sha256`,
      `${file} does not match its checksum (corrupted or replaced)`,
      { hint },
    );
  }
  return bytes;
}
