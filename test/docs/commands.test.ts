/**
 * Docs cannot drift from the CLI: every `tether` command quoted in README.md or docs/ (code blocks, inline code)
 * parses against the real command definitions, and `--help` on it shows that command's own help.
 */
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../src/robot/load.js";
import { tether } from "../cli/tether-process.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { docCommands, docFiles, docLinks, headingAnchors, shellWords } from "./doc-commands.js";
import { buildProgram, parseTether } from "./cli-parse.js";

const quoted = docFiles(REPO_ROOT).flatMap((file) => docCommands(REPO_ROOT, file));

describe("commands quoted in README.md and docs/", () => {
  it("finds the README's two commands and the docs' commands", () => {
    const readme = quoted.filter((c) => c.where.startsWith("README.md:")).map((c) => c.args.join(" "));
    expect(readme).toContain("demo");
    expect(quoted.filter((c) => c.where.startsWith("docs/")).length).toBeGreaterThan(10);
  });

  it.each(quoted.map((c) => [c.where, c] as const))("%s parses", async (_where, c) => {
    const parsed = await parseTether(c.args);
    expect(parsed.error, `${c.where}: ${c.text}`).toBeUndefined();
    expect(parsed.command, `${c.where}: ${c.text}`).toBeDefined();
    const help = await parseTether([...c.args, "--help"]);
    expect(help.output).toContain(`Usage: tether ${parsed.command ?? ""}`);
  });
});

describe("links between README.md and docs/", () => {
  const links = docFiles(REPO_ROOT).flatMap((file) => docLinks(REPO_ROOT, file));

  it.each(links.map((l) => [`${l.where} -> ${l.path}${l.anchor ? "#" + l.anchor : ""}`, l] as const))(
    "%s resolves",
    (_name, link) => {
      expect(existsSync(join(REPO_ROOT, link.path)), link.where).toBe(true);
      if (link.anchor && link.path.endsWith(".md"))
        expect([...headingAnchors(REPO_ROOT, link.path)], link.where).toContain(link.anchor);
    },
  );
});

describe("the in-process check", () => {
  it("builds the same top-level commands as the real `tether --help`", async () => {
    const real = await tether("--help");
    expect(real.code).toBe(0);
    const listed = [...real.stdout.matchAll(/^ {2}([a-z][\w-]*)\b/gm)]
      .map((m) => m[1])
      .filter((n) => n !== "help");
    const built = (await buildProgram()).commands.map((c) => c.name());
    expect(built.sort()).toEqual([...new Set(listed)].sort());
  });

  it("rejects an unknown option, an unknown subcommand and a bad option value", async () => {
    expect((await parseTether(["sim", "run", "--robot", "pendulum", "--no-such-flag"])).error).toMatch(
      /unknown option '--no-such-flag'/,
    );
    expect((await parseTether(["bench", "nosuch", "--json"])).error).toMatch(/unknown command 'nosuch'/);
    expect((await parseTether(["bench", "quality", "--steps", "ten"])).error).toMatch(
      /--steps expects an integer/,
    );
  });

  it("splits shell words as a shell does", () => {
    expect(shellWords(`train --config '{"iql":{"beta":0.1}}' --out "models/a b" # note`, "x")).toEqual([
      "train",
      "--config",
      '{"iql":{"beta":0.1}}',
      "--out",
      "models/a b",
    ]);
    expect(shellWords("bench train --json | tail -1", "x")).toEqual(["bench", "train", "--json"]);
  });
});
