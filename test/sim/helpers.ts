import { mkdtempSync, readFileSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { ROBOTS_DIR } from "../../src/robot/load.js";

/** Copies robots/<name> to a temp folder, letting a test edit robot.yaml (as an object) and model.xml (text). */
export function robotVariant(
  name: string,
  edit: { spec?: (spec: Record<string, unknown>) => void; model?: (xml: string) => string } = {},
): string {
  const dir = join(mkdtempSync(join(tmpdir(), `tether-${name}-`)), name);
  cpSync(join(ROBOTS_DIR, name), dir, { recursive: true });
  if (edit.spec) {
    const file = join(dir, "robot.yaml");
    const spec = parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    edit.spec(spec);
    writeFileSync(file, stringify(spec));
  }
  if (edit.model) {
    const file = join(dir, "model.xml");
    writeFileSync(file, edit.model(readFileSync(file, "utf8")));
  }
  return dir;
}

export function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
