/**
 * The plain-TS runner of any policy package: PolicyRunner for the MLP actors, DtRunner (with its context
 * ring) for a decision transformer. Both take a raw observation and write a [-1, 1] action; a DtRunner also
 * wants each reward (`reward`) and each episode start (`reset`).
 */
import { ConfigError } from "../core/errors.js";
import { DtRunner } from "./dt-runner.js";
import type { PolicyPackage } from "./package.js";
import { PolicyRunner } from "./runner.js";

export type PackageRunner = PolicyRunner | DtRunner;

export function createPackageRunner(pkg: PolicyPackage): PackageRunner {
  return pkg.manifest.policy.kind === "decision-transformer"
    ? dtRunnerFromPackage(pkg)
    : PolicyRunner.fromPackage(pkg);
}

/** A decision-transformer package's runner, conditioned on `targetReturn` (default: the manifest's). */
export function dtRunnerFromPackage(pkg: PolicyPackage, targetReturn?: number): DtRunner {
  const m = pkg.manifest;
  if (!pkg.transformer)
    throw new ConfigError(
      `${pkg.dir}/policy.json`,
      "policy.kind",
      `a ${m.policy.kind} package is no decision transformer`,
    );
  const runner = new DtRunner({
    spec: pkg.transformer,
    pairs: pkg.policyLayers,
    obsMean: m.observation.mean,
    obsStd: m.observation.std,
    obsDim: m.observation.dim,
    actDim: m.action.dim,
  });
  if (targetReturn !== undefined) runner.reset(targetReturn);
  return runner;
}
