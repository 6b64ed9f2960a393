/**
 * The code version recorded in a package's provenance: `<package version>+g<commit>` when the repository
 * has a readable .git (read from files, no git process), else just the package version.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../robot/load.js";

export function codeVersion(root = REPO_ROOT): string {
  let version = "0.0.0";
  try {
    version =
      (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: string }).version ??
      version;
  } catch {
    // no package.json next to the sources: keep the placeholder
  }
  const commit = gitCommit(root);
  return commit ? `${version}+g${commit.slice(0, 8)}` : version;
}

function gitCommit(root: string): string | undefined {
  try {
    const head = readFileSync(join(root, ".git", "HEAD"), "utf8").trim();
    if (!head.startsWith("ref: ")) return /^[0-9a-f]{40}$/.test(head) ? head : undefined;
    const ref = head.slice(5);
    const loose = join(root, ".git", ref);
    if (existsSync(loose)) return readFileSync(loose, "utf8").trim();
    const packed = readFileSync(join(root, ".git", "packed-refs"), "utf8");
    const line = packed.split("\n").find((l) => l.endsWith(` ${ref}`));
    return line?.split(" ")[0];
  } catch {
    return undefined;
  }
}
