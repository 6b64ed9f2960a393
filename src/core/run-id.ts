import { randomBytes } from "node:crypto";

/** Run ids read like `iql-reacher2-s0-1a2b3c4d`: what ran, on what, with which seed, then a unique tail. */
export function makeRunId(parts: Array<string | number>): string {
  return [...parts.map(String), randomBytes(4).toString("hex")].join("-");
}
