import type { Command } from "commander";
import { printJsonLine } from "../run.js";

/**
 * `tether export --model <m> [--out <file>] [--json]`: writes a package's actor as ONNX (what packages
 * trained before policy.onnx existed lack), after checking it against the plain-TS runner.
 */
export function registerExport(program: Command): void {
  program
    .command("export")
    .description(
      "Write a policy package's actor as ONNX: observation [N, obs] (a decision transformer: its context window [N, K, ·]) -> action [N, act] in actuator units, normalization included; checked in ONNX Runtime against the plain-TS runner first",
    )
    .requiredOption("--model <m>", "policy package: a name under models/ or a folder holding policy.json")
    .option(
      "--out <file>",
      "where to write (default: the package's own policy.onnx, recorded in its policy.json)",
    )
    .option("--json", "end stdout with one JSON object")
    .action(async (opts: { model: string; out?: string; json?: boolean }) => {
      const { loadPolicyPackage, resolvePackageDir } = await import("../../policy/package.js");
      const { exportPolicyOnnxFile } = await import("../../rl/policy-onnx.js");
      // A missing or damaged policy.onnx is what export repairs: only weights and manifest must be sound.
      const pkg = loadPolicyPackage(resolvePackageDir(opts.model), { ignoreOnnx: true });
      const r = await exportPolicyOnnxFile(pkg, opts.out);
      const m = pkg.manifest;
      if (opts.json) {
        printJsonLine({
          ...r,
          model: pkg.dir,
          robot: m.robot,
          algorithm: m.provenance.algorithm,
          kind: m.policy.kind,
          obs_dim: m.observation.dim,
          act_dim: m.action.dim,
        });
        return;
      }
      process.stdout.write(
        [
          `wrote ${r.file} (${r.bytes} bytes, opset ${r.opset}${r.in_package ? ", recorded in policy.json" : ""})`,
          pkg.transformer
            ? `  ${m.robot} / ${m.provenance.algorithm}, decision transformer: context window of K = ${pkg.transformer.contextLength} steps [N, K, ·] -> action [N, ${m.action.dim}] (actuator units); target return ${pkg.transformer.targetReturn}`
            : `  ${m.robot} / ${m.provenance.algorithm}, ${m.policy.kind} actor: observation [N, ${m.observation.dim}] -> action [N, ${m.action.dim}] (actuator units)`,
          `  ONNX Runtime vs the plain-TS runner on ${r.check.rows} random ${pkg.transformer ? "context windows" : "observations"}: max |difference| ${r.check.max_abs_diff.toExponential(2)} (tolerance ${r.check.tolerance})`,
        ].join("\n") + "\n",
      );
    });
}
