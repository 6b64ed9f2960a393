/** The mean of a list, or null when it is empty (a stage report says "no data" rather than 0). */
export function meanOrNull(values: readonly number[]): number | null {
  return values.length > 0 ? values.reduce((x, y) => x + y, 0) / values.length : null;
}
