/**
 * `--config` JSON for algorithm configs: `tether train --config '{"beta": 1}'` overrides the one --algo,
 * `tether bench quality --config '{"iql": {"beta": 1}}'` any of its algorithms. Every key must be a field
 * of that algorithm's config, so a typo fails before hours of training rather than being ignored.
 */
import { TetherError } from "../core/errors.js";

function parseObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new TetherError("CLI", `--config is not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new TetherError("CLI", "--config must be a JSON object");
  return parsed as Record<string, unknown>;
}

function checkFields(
  fields: unknown,
  algo: string,
  defaults: object,
  where: string,
): Record<string, unknown> {
  if (typeof fields !== "object" || fields === null || Array.isArray(fields))
    throw new TetherError("CLI", `${where} must be an object of config fields`);
  for (const key of Object.keys(fields))
    if (!(key in defaults))
      throw new TetherError(
        "CLI",
        `${where}.${key}: ${algo} has no such config field (known: ${Object.keys(defaults).join(", ")})`,
      );
  return fields as Record<string, unknown>;
}

/** `--config '{"<key>": value}'` for one algorithm. */
export function parseAlgoConfigOption(
  value: string | undefined,
  algo: string,
  defaults: object,
): Record<string, unknown> {
  if (value === undefined) return {};
  return checkFields(parseObject(value), algo, defaults, "--config");
}

/** `--config '{"<algo>": {"<key>": value}}'`: every algorithm and key must exist. */
export function parsePerAlgoConfigOption<A extends string>(
  value: string | undefined,
  assertAlgo: (name: string) => A,
  defaults: Record<A, object>,
): Partial<Record<A, Record<string, unknown>>> {
  if (value === undefined) return {};
  const out: Partial<Record<A, Record<string, unknown>>> = {};
  for (const [name, fields] of Object.entries(parseObject(value))) {
    const algo = assertAlgo(name);
    out[algo] = checkFields(fields, name, defaults[algo], `--config.${name}`);
  }
  return out;
}
