/**
 * Package and executable lookup as ROS 2 does it: a package is installed under the first prefix of
 * AMENT_PREFIX_PATH whose ament resource index lists it (share/ament_index/resource_index/packages/<pkg>),
 * executables come from PATH. Package "tether" falls back to this repository when no prefix has it, so
 * Tether's own launch files work from a checkout.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root: $(find-pkg-share tether) when tether is not installed as an ament package. */
export const TETHER_SHARE = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export type Env = Record<string, string | undefined>;

export function amentPrefixes(env: Env): string[] {
  return (env.AMENT_PREFIX_PATH ?? "").split(delimiter).filter((p) => p !== "");
}

const isFile = (path: string): boolean => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** The install prefix of `pkg`, or undefined when no prefix's resource index lists it. */
export function findPackagePrefix(pkg: string, env: Env): string | undefined {
  if (pkg === "" || pkg.includes("/")) return undefined;
  for (const prefix of amentPrefixes(env)) {
    if (isFile(join(prefix, "share", "ament_index", "resource_index", "packages", pkg))) return prefix;
  }
  return pkg === "tether" ? TETHER_SHARE : undefined;
}

/** share/<pkg> under its prefix ($(find-pkg-share)); the repository itself for an uninstalled tether. */
export function findPackageShare(pkg: string, env: Env): string | undefined {
  const prefix = findPackagePrefix(pkg, env);
  if (prefix === undefined) return undefined;
  return prefix === TETHER_SHARE ? TETHER_SHARE : join(prefix, "share", pkg);
}

function isExecutable(path: string): boolean {
  if (!isFile(path)) return false;
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** shutil.which: a name with a slash is checked as given, others are searched on PATH. */
export function findExecutable(name: string, env: Env): string | undefined {
  if (name === "") return undefined;
  if (name.includes("/")) return isExecutable(name) ? name : undefined;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir === "" ? "." : dir, name);
    if (isExecutable(candidate)) return isAbsolute(candidate) ? candidate : candidate;
  }
  return undefined;
}

/** Where ament looked, for "not found" messages. */
export function describeSearch(env: Env): string {
  const prefixes = amentPrefixes(env);
  return prefixes.length > 0 ? prefixes.join(", ") : "AMENT_PREFIX_PATH is empty";
}
