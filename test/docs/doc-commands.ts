/**
 * The `tether` commands quoted in README.md and docs/: every line of a fenced code block that runs
 * `npm run -s tether -- …` or `[npm ci &&] npm start [-- …]`, and every inline code span holding a
 * `npm run -s tether -- …` command, split into argv as a POSIX shell would (quotes, `\`
 * continuations; an unquoted `#`, `|`, `&`, `;`, `<` or `>` ends the command).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface DocCommand {
  /** "docs/benchmarks.md:42" */
  where: string;
  /** The command as written (continuations joined). */
  text: string;
  /** argv after `tether` (`npm start -- x` is `demo x`). */
  args: string[];
}

const TETHER = /^(?:nice\s+(?:-n\s*\d+\s+)?)?npm run -s tether --(?=\s|$)(.*)$/;
const START = /^(?:npm ci\s*&&\s*)?npm start(?:\s+--(?=\s|$)(.*))?$/;

/** README.md and every .md file under docs/, repository-relative, sorted. */
export function docFiles(root: string): string[] {
  const found = ["README.md"];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".md")) found.push(path);
    }
  };
  walk("docs");
  return found.sort();
}

export function docCommands(root: string, file: string): DocCommand[] {
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const out: DocCommand[] = [];
  let fenced = false;
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*```/.test(lines[i])) {
      fenced = !fenced;
      continue;
    }
    if (!fenced) {
      // Inline code spans quote commands too (the README's figures table).
      for (const m of lines[i].matchAll(/`((?:nice )?npm run -s tether --[^`]*)`/g)) {
        const where = `${file}:${i + 1}`;
        const args = shellWords(TETHER.exec(m[1])?.[1] ?? "", where);
        if (args.length > 0) out.push({ where, text: m[1], args }); // a bare prefix names no command
      }
      continue;
    }
    const start = i;
    let text = lines[i].trim();
    while (text.endsWith("\\") && i + 1 < lines.length) text = text.slice(0, -1) + " " + lines[++i].trim();
    const where = `${file}:${start + 1}`;
    const tether = TETHER.exec(text);
    if (tether) out.push({ where, text, args: shellWords(tether[1], where) });
    const npmStart = START.exec(text.split(/\s+#/)[0].trim());
    if (npmStart) out.push({ where, text, args: ["demo", ...shellWords(npmStart[1] ?? "", where)] });
  }
  return out;
}

/** POSIX-shell word splitting of one command line, up to its first unquoted operator or comment. */
export function shellWords(line: string, where: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const push = (): void => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  while (i < line.length) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`${where}: unterminated ' in: ${line}`);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let s = "";
      while (j < line.length && line[j] !== '"') {
        if (line[j] === "\\" && j + 1 < line.length && '"\\$`'.includes(line[j + 1])) j++;
        s += line[j++];
      }
      if (j >= line.length) throw new Error(`${where}: unterminated " in: ${line}`);
      word = (word ?? "") + s;
      i = j + 1;
    } else if (c === "\\" && i + 1 < line.length) {
      word = (word ?? "") + line[i + 1];
      i += 2;
    } else if (/\s/.test(c)) {
      push();
      i++;
    } else if ("|&;<>".includes(c) || (c === "#" && word === undefined)) {
      break;
    } else {
      word = (word ?? "") + c;
      i++;
    }
  }
  push();
  return words;
}

export interface DocLink {
  where: string;
  /** Repository-relative path the link points to ("" for a link within the same file). */
  path: string;
  anchor?: string;
}

/** Relative links `[text](path#anchor)` of a markdown file (web links and code are left out). */
export function docLinks(root: string, file: string): DocLink[] {
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const out: DocLink[] = [];
  let fenced = false;
  lines.forEach((line, i) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced) return;
    for (const m of line.replace(/`[^`]*`/g, "").matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(m[1])) continue;
      const [target, anchor] = m[1].split("#");
      const path = target === "" ? file : join(file, "..", target);
      out.push({ where: `${file}:${i + 1}`, path, anchor });
    }
  });
  return out;
}

/** GitHub's anchors of a markdown file's headings: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchors(root: string, file: string): Set<string> {
  const anchors = new Set<string>();
  for (const m of readFileSync(join(root, file), "utf8").matchAll(/^#{1,6} (.+)$/gm))
    anchors.add(
      m[1]
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-"),
    );
  return anchors;
}
