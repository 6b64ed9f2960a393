import { readFileSync, existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { z } from "zod";
import { ConfigError } from "../core/errors.js";
import { RobotSpecSchema, type RobotSpec } from "./spec.js";
import { checkSpecSemantics } from "./check.js";

/** The repository root (where `robots/`, `launch/` and `models/` live). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const ROBOTS_DIR = join(REPO_ROOT, "robots");

export interface LoadedRobot {
  spec: RobotSpec;
  /** Folder of the robot (holds robot.yaml and the MJCF). */
  dir: string;
  specFile: string;
  modelFile: string;
}

export function listRobots(robotsDir = ROBOTS_DIR): string[] {
  if (!existsSync(robotsDir)) return [];
  return readdirSync(robotsDir)
    .filter((n) => existsSync(join(robotsDir, n, "robot.yaml")) && statSync(join(robotsDir, n)).isDirectory())
    .sort();
}

/** `nameOrDir` is a robot name under robots/ or a path to a robot folder. */
export function resolveRobotDir(nameOrDir: string, robotsDir = ROBOTS_DIR): string {
  if (existsSync(join(nameOrDir, "robot.yaml"))) return resolve(nameOrDir);
  const dir = join(robotsDir, nameOrDir);
  if (existsSync(join(dir, "robot.yaml"))) return dir;
  throw new ConfigError("--robot", "robot", `no robot named "${nameOrDir}"`, {
    hint: `known robots: ${listRobots(robotsDir).join(", ") || "(none)"}; or pass a folder holding robot.yaml`,
  });
}

export function loadRobot(nameOrDir: string, robotsDir = ROBOTS_DIR): LoadedRobot {
  const dir = resolveRobotDir(nameOrDir, robotsDir);
  const specFile = join(dir, "robot.yaml");
  const spec = parseRobotSpec(readFileSync(specFile, "utf8"), specFile);
  const modelFile = join(dir, spec.model);
  if (!existsSync(modelFile))
    throw new ConfigError(specFile, "model", `MJCF file ${modelFile} does not exist`);
  return { spec, dir, specFile, modelFile };
}

/** Parses and validates robot.yaml text; every error names the file and the field. */
export function parseRobotSpec(text: string, file: string): RobotSpec {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const line = err instanceof YAMLParseError ? err.linePos?.[0]?.line : undefined;
    throw new ConfigError(
      file,
      line === undefined ? "(yaml)" : `line ${line}`,
      (err as Error).message.split("\n")[0],
      { cause: err },
    );
  }
  const parsed = RobotSpecSchema.safeParse(raw);
  if (!parsed.success) throw zodToConfigError(file, parsed.error);
  checkSpecSemantics(parsed.data, file);
  return parsed.data;
}

export function zodToConfigError(file: string, error: z.ZodError): ConfigError {
  const issue = error.issues[0];
  const field = issue.path.length ? issue.path.join(".") : "(root)";
  const more =
    error.issues.length > 1
      ? ` (+${error.issues.length - 1} more issue${error.issues.length > 2 ? "s" : ""})`
      : "";
  return new ConfigError(file, field, issue.message + more, { cause: error });
}
