/** Per-dimension mean and std of dataset rows (std floored so constant dimensions do not divide by zero). */
export function rowStats(
  rows: Float32Array,
  dim: number,
  stdFloor = 1e-3,
): { mean: Float32Array; std: Float32Array } {
  const n = rows.length / dim;
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += rows[i * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= Math.max(1, n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < dim; j++) {
      const d = rows[i * dim + j] - mean[j];
      sq[j] += d * d;
    }
  return {
    mean: Float32Array.from(mean),
    std: Float32Array.from(sq, (s) => Math.max(stdFloor, Math.sqrt(s / Math.max(1, n)))),
  };
}

export function normalizeInto(
  rows: Float32Array,
  mean: ArrayLike<number>,
  std: ArrayLike<number>,
): Float32Array {
  const d = mean.length;
  const out = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = (rows[i] - mean[i % d]) / std[i % d];
  return out;
}
