import { Rng } from "../../src/core/rng.js";
import type { Activation, DenseLayerWeights } from "../../src/policy/network.js";

/** Random Glorot-scaled dense layers (test fixture). */
export function randomLayers(rng: Rng, dims: number[], activations: Activation[]): DenseLayerWeights[] {
  const layers: DenseLayerWeights[] = [];
  for (let l = 0; l + 1 < dims.length; l++) {
    const inDim = dims[l];
    const outDim = dims[l + 1];
    const scale = Math.sqrt(6 / (inDim + outDim));
    const weight = Float32Array.from({ length: inDim * outDim }, () => rng.uniform(-scale, scale));
    const bias = Float32Array.from({ length: outDim }, () => rng.uniform(-0.1, 0.1));
    layers.push({ inDim, outDim, weight, bias, activation: activations[l] });
  }
  return layers;
}
