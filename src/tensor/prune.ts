/**
 * Dead-node removal before a graph goes to ONNX Runtime, which runs every node it is given: autodiff's
 * rules emit both operands' gradients (a Gemm's input gradient even when the input is data), and a
 * learner's graph may compute values no output needs. Only nodes on a path to an output are kept
 * (program.ts then drops the constants no kept node reads).
 */
import type { NodeSpec } from "./onnx-model.js";

export function pruneDeadNodes(nodes: readonly NodeSpec[], outputs: readonly string[]): NodeSpec[] {
  const live = new Set(outputs);
  const keep = new Array<boolean>(nodes.length).fill(false);
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!nodes[i].outputs.some((o) => live.has(o))) continue;
    keep[i] = true;
    for (const x of nodes[i].inputs) live.add(x);
  }
  return nodes.filter((_, i) => keep[i]);
}
