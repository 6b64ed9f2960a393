/**
 * The stage ledger, models/<name>/stages.json: every promotion, hold and rollback, with the gates that
 * decided it. Append-only in spirit: decisions are never rewritten, and writes are atomic (tmp + rename).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatasetFormatError } from "../core/errors.js";
import type { GateCheck, StageEvidence } from "./gates.js";
import type { Stage } from "./stages.js";

export type Decision = "promote" | "hold" | "rollback";

export interface LedgerEntry {
  time: string;
  stage: Stage;
  /** Model version the stage ran (a folder name under models/<name>/versions or "v0" for the offline policy). */
  version: string;
  decision: Decision;
  checks: GateCheck[];
  evidence: StageEvidence;
  /** For rollbacks: the version now active again. */
  rolled_back_to?: string;
  report?: string;
}

export interface Ledger {
  model: string;
  /** The version that last passed a stage, and the highest stage it passed. */
  promoted_version: string | null;
  promoted_stage: Stage | null;
  history: LedgerEntry[];
}

export function ledgerPath(modelDir: string): string {
  return join(modelDir, "stages.json");
}

export function readLedger(modelDir: string, model: string): Ledger {
  const file = ledgerPath(modelDir);
  if (!existsSync(file)) return { model, promoted_version: null, promoted_stage: null, history: [] };
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Ledger;
  } catch (err) {
    throw new DatasetFormatError(
      file,
      undefined,
      `stage ledger is not valid JSON: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Decides from the checks, records the decision and returns the entry. A failed canary rolls back. */
export function recordStage(
  modelDir: string,
  model: string,
  stage: Stage,
  version: string,
  checks: GateCheck[],
  evidence: StageEvidence,
  report?: string,
): LedgerEntry {
  const ledger = readLedger(modelDir, model);
  const passed = checks.every((c) => c.passed);
  let decision: Decision = passed ? "promote" : "hold";
  let rolledBackTo: string | undefined;
  if (!passed && (stage === "canary" || stage === "full")) {
    decision = "rollback";
    rolledBackTo = lastPromotedBefore(ledger, version) ?? undefined;
  }
  const entry: LedgerEntry = {
    time: new Date().toISOString(),
    stage,
    version,
    decision,
    checks,
    evidence,
    report,
  };
  if (rolledBackTo !== undefined) entry.rolled_back_to = rolledBackTo;
  ledger.history.push(entry);
  if (decision === "promote") {
    ledger.promoted_version = version;
    ledger.promoted_stage = stage;
  } else if (decision === "rollback") {
    ledger.promoted_version = rolledBackTo ?? null;
    ledger.promoted_stage = rolledBackTo ? (lastStageOf(ledger, rolledBackTo) ?? null) : null;
  }
  const file = ledgerPath(modelDir);
  writeFileSync(`${file}.tmp`, JSON.stringify(ledger, null, 2) + "\n");
  renameSync(`${file}.tmp`, file);
  return entry;
}

function lastPromotedBefore(ledger: Ledger, failingVersion: string): string | null {
  for (let i = ledger.history.length - 1; i >= 0; i--) {
    const e = ledger.history[i];
    if (e.decision === "promote" && e.version !== failingVersion) return e.version;
  }
  return null;
}

function lastStageOf(ledger: Ledger, version: string): Stage | undefined {
  for (let i = ledger.history.length - 1; i >= 0; i--) {
    const e = ledger.history[i];
    if (e.version === version && e.decision === "promote") return e.stage;
  }
  return undefined;
}
