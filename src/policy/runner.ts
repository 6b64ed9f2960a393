/**
 * Batch-1 policy inference in plain TypeScript for the control loop: no tensor library, no allocation per call.
 * `act(obs, out)` normalizes the raw observation, runs the network and writes a [-1, 1] action.
 */
import { ConfigError, ShapeMismatchError } from "../core/errors.js";
import type { PolicyKind } from "./manifest.js";
import { DenseForward, type DenseLayerWeights } from "./network.js";
import { kindOutputDim, type PolicyPackage } from "./package.js";
import { ConditionalSupport } from "./support.js";

export interface PolicyRunnerOptions {
  kind: PolicyKind;
  layers: DenseLayerWeights[];
  obsMean: ArrayLike<number>;
  obsStd: ArrayLike<number>;
  actDim: number;
}

export class PolicyRunner {
  readonly obsDim: number;
  readonly actDim: number;
  private readonly net: DenseForward;
  private readonly kind: PolicyKind;
  private readonly mean: Float64Array;
  private readonly invStd: Float64Array;
  private readonly normObs: Float64Array;

  constructor(options: PolicyRunnerOptions) {
    this.net = new DenseForward(options.layers);
    this.kind = options.kind;
    this.obsDim = this.net.inDim;
    this.actDim = options.actDim;
    const want = kindOutputDim(options.kind, options.actDim);
    if (this.net.outDim !== want)
      throw new ShapeMismatchError(`policy output (kind ${options.kind})`, want, this.net.outDim);
    if (options.obsMean.length !== this.obsDim)
      throw new ShapeMismatchError("obsMean", this.obsDim, options.obsMean.length);
    if (options.obsStd.length !== this.obsDim)
      throw new ShapeMismatchError("obsStd", this.obsDim, options.obsStd.length);
    this.mean = Float64Array.from(options.obsMean);
    this.invStd = Float64Array.from(options.obsStd, (s) => 1 / s);
    this.normObs = new Float64Array(this.obsDim);
  }

  static fromPackage(pkg: PolicyPackage): PolicyRunner {
    const m = pkg.manifest;
    if (m.policy.kind === "decision-transformer")
      throw new ConfigError(
        `${pkg.dir}/policy.json`,
        "policy.kind",
        "a decision transformer runs in DtRunner",
        {
          hint: "use createPackageRunner (src/policy/package-runner.ts)",
        },
      );
    return new PolicyRunner({
      kind: m.policy.kind,
      layers: pkg.policyLayers,
      obsMean: m.observation.mean,
      obsStd: m.observation.std,
      actDim: m.action.dim,
    });
  }

  /** Writes the normalized observation into `out` (length obsDim). */
  normalize(obs: ArrayLike<number>, out: Float64Array | Float32Array): void {
    for (let i = 0; i < this.obsDim; i++) out[i] = (obs[i] - this.mean[i]) * this.invStd[i];
  }

  /** Deterministic action in [-1, 1] for a raw observation. */
  act(obs: ArrayLike<number>, out: Float32Array | Float64Array): void {
    this.normalize(obs, this.normObs);
    const y = this.net.forward(this.normObs);
    const n = this.actDim;
    if (this.kind === "tanh-gaussian") {
      for (let i = 0; i < n; i++) out[i] = Math.tanh(y[i]);
    } else {
      for (let i = 0; i < n; i++) {
        const v = y[i];
        // NaN stays NaN here on purpose: the safety shield, not the runner, decides what to do with it.
        out[i] = v > 1 ? 1 : v < -1 ? -1 : v;
      }
    }
  }
}

/** What the support model needs of a policy runner: its observation normalization. */
export interface ObservationNormalizer {
  readonly obsDim: number;
  normalize(obs: ArrayLike<number>, out: Float64Array | Float32Array): void;
}

/** The package's state-conditional support model, fed with raw observations. */
export class SupportRunner {
  private readonly model: ConditionalSupport;
  private readonly normObs: Float64Array;

  constructor(
    private readonly policy: ObservationNormalizer,
    model: ConditionalSupport,
  ) {
    this.model = model;
    this.normObs = new Float64Array(policy.obsDim);
  }

  static fromPackage(
    pkg: PolicyPackage,
    policy: ObservationNormalizer = PolicyRunner.fromPackage(pkg),
  ): SupportRunner | undefined {
    const c = pkg.support.conditional;
    return c ? new SupportRunner(policy, new ConditionalSupport(c)) : undefined;
  }

  /** Behavior mean and std ([-1, 1] action space) at a raw observation. */
  evaluate(
    obs: ArrayLike<number>,
    meanOut: Float32Array | Float64Array,
    stdOut: Float32Array | Float64Array,
  ): void {
    this.policy.normalize(obs, this.normObs);
    this.model.evaluate(this.normObs, meanOut, stdOut);
  }
}
