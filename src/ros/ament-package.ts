/**
 * The ament package "tether", so ROS 2's own tools find Tether through AMENT_PREFIX_PATH:
 * `ros2 pkg executables tether`, `ros2 run tether sim_robot`, `ros2 launch tether sim.launch.xml`.
 * Nothing is built or copied: each lib/tether/<node> is a shell wrapper that runs this checkout's
 * `tether node run <node> --ros` with absolute paths to node and tsx, and share/tether/launch/ links to the
 * checkout's launch files (like colcon's --symlink-install), so the package follows the checkout's code and
 * launch files; install again when nodes are added or removed, or the checkout moves.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError } from "../core/errors.js";

export const AMENT_PACKAGE = "tether";

/** Message packages the nodes use, and launch_ros for the launch files. */
const EXEC_DEPENDS = [
  "launch_ros",
  "launch_xml",
  "builtin_interfaces",
  "std_msgs",
  "sensor_msgs",
  "diagnostic_msgs",
  "rosgraph_msgs",
];

export interface AmentSources {
  /** The Tether checkout: src/cli/main.ts, launch/, package.json. */
  repoRoot: string;
  /** Node executables of the package (src/nodes/registry.ts). */
  executables: readonly string[];
  /** Absolute path of the node binary the wrappers run. */
  nodeBin: string;
  /** URL of tsx's loader (`node --import <url>` runs TypeScript). */
  tsxLoader: string;
}

export interface AmentInstall {
  prefix: string;
  /** <prefix>/share/tether */
  share: string;
  /** <prefix>/lib/tether/<node>, one per node executable. */
  executables: string[];
  /** <prefix>/share/tether/launch/*.launch.xml, links to the checkout's launch/ files. */
  launchFiles: string[];
}

/** What the wrappers run when called from this checkout (node of this process, the repo's tsx). */
export function defaultAmentSources(repoRoot: string, executables: readonly string[]): AmentSources {
  return { repoRoot, executables, nodeBin: process.execPath, tsxLoader: import.meta.resolve("tsx") };
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function amentPackageXml(meta: { version: string; description: string; license: string }): string {
  return [
    '<?xml version="1.0"?>',
    '<?xml-model href="http://download.ros.org/schema/package_format3.xsd" schematypens="http://www.w3.org/2001/XMLSchema"?>',
    '<package format="3">',
    `  <name>${AMENT_PACKAGE}</name>`,
    `  <version>${xmlEscape(meta.version)}</version>`,
    `  <description>${xmlEscape(meta.description)}</description>`,
    // package.xml requires a maintainer with an e-mail; .invalid says there is no address to write to.
    '  <maintainer email="maintainers@tether.invalid">Tether maintainers</maintainer>',
    `  <license>${xmlEscape(meta.license)}</license>`,
    ...EXEC_DEPENDS.map((d) => `  <exec_depend>${d}</exec_depend>`),
    "  <export>",
    "    <build_type>ament_cmake</build_type>",
    "  </export>",
    "</package>",
    "",
  ].join("\n");
}

/** lib/tether/<node>: everything ros2 run / ros2 launch append (--ros-args ...) reaches `tether node run`. */
export function amentWrapper(executable: string, sources: AmentSources): string {
  const main = join(sources.repoRoot, "src", "cli", "main.ts");
  return [
    "#!/bin/sh",
    `# Tether node "${executable}" under real ROS 2, written by \`tether ros install\`.`,
    `# It runs the checkout at ${sources.repoRoot}; install again if that checkout moves.`,
    `exec ${[sources.nodeBin, "--import", sources.tsxLoader, main].map(shellQuote).join(" ")} node run ${shellQuote(executable)} --ros -- "$@"`,
    "",
  ].join("\n");
}

function readPackageJson(repoRoot: string): { version: string; description: string; license: string } {
  const file = join(repoRoot, "package.json");
  const pkg = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const field = (name: string): string => {
    const v = pkg[name];
    if (typeof v !== "string" || v === "")
      throw new ConfigError(file, name, "missing", { expected: "a string" });
    return v;
  };
  return { version: field("version"), description: field("description"), license: field("license") };
}

/**
 * Writes the package into `prefix` (created if missing). Re-running replaces lib/tether and share/tether
 * wholesale, so nodes or launch files removed from the checkout disappear; nothing else in prefix is touched.
 */
export function installAmentPackage(prefixArg: string, sources: AmentSources): AmentInstall {
  const prefix = resolve(prefixArg);
  if (existsSync(prefix) && !statSync(prefix).isDirectory())
    throw new ConfigError("--prefix", "prefix", `${prefix} exists and is not a folder`);
  const launchDir = join(sources.repoRoot, "launch");
  const launchNames = existsSync(launchDir)
    ? readdirSync(launchDir)
        .filter((f) => f.endsWith(".launch.xml"))
        .sort()
    : [];
  const meta = readPackageJson(sources.repoRoot);

  const share = join(prefix, "share", AMENT_PACKAGE);
  const lib = join(prefix, "lib", AMENT_PACKAGE);
  const index = join(prefix, "share", "ament_index", "resource_index", "packages");
  try {
    rmSync(share, { recursive: true, force: true });
    rmSync(lib, { recursive: true, force: true });
    for (const dir of [join(share, "launch"), lib, index]) mkdirSync(dir, { recursive: true });
    // The resource index marker is what ament_index (ros2 pkg prefix) looks for; its content is unused.
    writeFileSync(join(index, AMENT_PACKAGE), "");
    writeFileSync(join(share, "package.xml"), amentPackageXml(meta));
    const launchFiles = launchNames.map((name) => {
      const to = join(share, "launch", name);
      symlinkSync(join(launchDir, name), to);
      return to;
    });
    const executables = [...sources.executables].sort().map((exec) => {
      const to = join(lib, exec);
      writeFileSync(to, amentWrapper(exec, sources));
      chmodSync(to, 0o755);
      return to;
    });
    return { prefix, share, executables, launchFiles };
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    throw new ConfigError("--prefix", "prefix", `cannot install into ${prefix}: ${code}`, { cause });
  }
}
