/** Debian's python3-onnx checker, the format's judge; shared by the policy-onnx and `tether export` tests. */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Debian's interpreter (its python3-onnx), not whatever python3 comes first on PATH. */
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

function hasPythonOnnx(): boolean {
  try {
    execFileSync(PYTHON, ["-c", "import onnx"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** In CI a missing checker is a failure, not a skip. */
export const SKIP_CHECKER = !hasPythonOnnx() && !process.env.CI;

export interface CheckedModel {
  ir_version: number;
  opsets: Record<string, number>;
  metadata: Record<string, string>;
  inputs: { name: string; elem_type: number; shape: (number | string)[] }[];
  outputs: { name: string; elem_type: number; shape: (number | string)[] }[];
  ops: string[];
}

/** Runs onnx.checker.check_model(full_check=True) (which raises on any problem) and describes the model. */
export function checkWithPythonOnnx(file: string): CheckedModel {
  const script = `
import json, sys, onnx
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
def shape(v):
    return [d.dim_param if d.dim_param else d.dim_value for d in v.type.tensor_type.shape.dim]
def value(v):
    return {"name": v.name, "elem_type": v.type.tensor_type.elem_type, "shape": shape(v)}
print(json.dumps({
    "ir_version": m.ir_version,
    "opsets": {o.domain: o.version for o in m.opset_import},
    "metadata": {p.key: p.value for p in m.metadata_props},
    "inputs": [value(v) for v in m.graph.input],
    "outputs": [value(v) for v in m.graph.output],
    "ops": [n.op_type for n in m.graph.node],
}))
`;
  const out = execFileSync(PYTHON, ["-c", script, file], { encoding: "utf8" });
  return JSON.parse(out) as CheckedModel;
}
