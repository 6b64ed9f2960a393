/** Numbers and durations for people (shared by the HTML report and the terminal summary). */

/** A number for people: "n/a" for missing or non-finite, otherwise at most `digits` decimals. */
export function formatNumber(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "n/a";
  if (value !== 0 && Math.abs(value) < 10 ** -digits) return value.toExponential(2);
  return String(Number(value.toFixed(digits)));
}

/** "12.3 [10.1, 14.5]" for a score with its 95% CI (one decimal, always shown). */
export function formatInterval(s: { mean: number; ci_low: number; ci_high: number } | undefined): string {
  if (s === undefined) return "n/a";
  const one = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : "n/a");
  return `${one(s.mean)} [${one(s.ci_low)}, ${one(s.ci_high)}]`;
}

/** "6 min 53 s" or "41.2 s". */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return "n/a";
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  return m > 0 ? `${m} min ${s} s` : `${formatNumber(seconds, 1)} s`;
}
