/** Reads logs/<run>/run-summary.json back, validating it: a hand-edited or truncated file gets a clear error. */
import { existsSync, readFileSync } from "node:fs";
import { ConfigError, DatasetFormatError } from "../core/errors.js";
import { RUN_SUMMARY_FORMAT, RunSummarySchema, asRunSummary, type RunSummary } from "./run-summary.js";

export function readRunSummary(file: string): RunSummary {
  if (!existsSync(file)) {
    throw new ConfigError(file, "(file)", "run summary not found", {
      hint: "pass a run folder written by `tether demo` (logs/<run>/ holds run-summary.json)",
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new DatasetFormatError(
      file,
      undefined,
      `run summary is not valid JSON: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const parsed = RunSummarySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.length === 0 ? "(root)" : issue.path.map(String).join(".");
    const hint =
      issue.path[0] === "format" ? `this Tether reads run-summary format ${RUN_SUMMARY_FORMAT}` : undefined;
    const more =
      parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problems)` : "";
    throw new ConfigError(file, field, `${issue.message}${more}`, { cause: parsed.error, hint });
  }
  return asRunSummary(parsed.data);
}
