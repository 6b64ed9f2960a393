/**
 * Writes measured reference returns into robot.yaml with the `yaml` Document API, so comments, ordering and
 * the rest of the file survive. Normalized score = 100 × (R − random) / (expert − random) (D4RL).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { ConfigError } from "../core/errors.js";
import { parseRobotSpec } from "./load.js";

export interface ReferenceReturns {
  random: number;
  expert: number;
}

/** Returns the new file text (validated); does not touch the disk. */
export function withReferenceReturns(text: string, file: string, ref: ReferenceReturns): string {
  if (!(ref.expert > ref.random))
    throw new ConfigError(file, "reference_returns", "expert return must be greater than random return", {
      actual: `random=${ref.random}, expert=${ref.expert}`,
    });
  const doc = parseDocument(text);
  if (doc.errors.length) throw new ConfigError(file, "(yaml)", doc.errors[0].message.split("\n")[0]);
  doc.setIn(["reference_returns", "random"], round(ref.random));
  doc.setIn(["reference_returns", "expert"], round(ref.expert));
  const out = doc.toString({ lineWidth: 110, flowCollectionPadding: false });
  parseRobotSpec(out, file); // never write a file the loader would reject
  return out;
}

export function writeReferenceReturns(specFile: string, ref: ReferenceReturns): void {
  writeFileSync(specFile, withReferenceReturns(readFileSync(specFile, "utf8"), specFile, ref));
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
