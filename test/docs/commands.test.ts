/**
 * Docs cannot drift from the CLI: every `tether` command quoted in README.md or docs/ (code blocks, inline code)
 * parses against the real command definitions, and `--help` on it shows that command's own help. Links
 * between the pages, and the docs pages code comments point to, must exist.
 */
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../src/robot/load.js";
import { tether } from "../cli/tether-process.js";
import { existsSync, readdirSync, readFileSync } from "node:fs";
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

describe("docs pages named in code comments and robot.yaml", () => {
  const all = ["src", "robots"].flatMap((dir) =>
    readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: "utf8" })
      .filter((f) => /\.(ts|yaml)$/.test(f))
      .flatMap((f) =>
        [...readFileSync(join(REPO_ROOT, dir, f), "utf8").matchAll(/\bdocs\/[\w./-]*\w\.md\b/g)].map(
          (m) => [`${dir}/${f}: ${m[0]}`, m[0]] as const,
        ),
      ),
  );
  const named = [...new Map(all).entries()];

  it("finds the pointers that replaced the score tables", () => {
    expect(named.map(([where]) => where).join("\n")).toContain("src/rl/algos/iql.ts");
  });

  it.each(named)("%s exists", (_where, page) => {
    expect(existsSync(join(REPO_ROOT, page))).toBe(true);
  });
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
