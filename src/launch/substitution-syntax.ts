/**
 * Splits a launch attribute into text and $(name arg ...) substitutions following launch's own grammar
 * (launch/frontend/grammar.lark): arguments are separated by single spaces; an argument is either one
 * '...' or "..." template (substitutions allowed inside, the other quote literal) or unquoted text that
 * has no spaces, quotes or parentheses unless escaped with a backslash. A backslash escapes the next
 * character everywhere (`\$(` is text, `\\` is one backslash) and is removed, as launch removes it.
 */
export type Template = (string | Substitution)[];

export interface Substitution {
  name: string;
  args: Template[];
  /** The source text, for messages. */
  raw: string;
}

export class SubstitutionSyntaxError extends Error {
  constructor(
    readonly source: string,
    readonly column: number,
    detail: string,
  ) {
    super(`${detail} at column ${column + 1} of "${source}"`);
  }
}

const unescape = (raw: string): string => raw.replace(/\\(.)/gs, "$1");

/** Where the text is: top level, or inside a '...' / "..." argument. */
type Context = "top" | "'" | '"';

export function parseSubstitutions(src: string): Template {
  let i = 0;
  const fail = (detail: string): never => {
    throw new SubstitutionSyntaxError(src, i, detail);
  };
  const startsSub = (): boolean => src[i] === "$" && src[i + 1] === "(" && src[i - 1] !== "\\";

  const pushText = (out: Template, raw: string): void => {
    if (raw === "") return;
    const text = unescape(raw);
    const last = out.at(-1);
    if (typeof last === "string") out[out.length - 1] = last + text;
    else out.push(text);
  };

  /** Unquoted argument text: stops at a space, quote, parenthesis or $( (a backslash escapes one). */
  function rawArgText(ctx: Context): string {
    const start = i;
    while (i < src.length) {
      const c = src[i];
      if (c === "\\") {
        i += i + 1 < src.length && "()$\"'".includes(src[i + 1]) ? 2 : 1;
        continue;
      }
      if (c === " " || c === "(" || c === ")") break;
      if (c === "'" && ctx !== '"') break;
      if (c === '"' && ctx !== "'") break;
      if (startsSub()) break;
      i++;
    }
    return src.slice(start, i);
  }

  function substitution(ctx: Context): Substitution {
    const start = i;
    i += 2;
    const m = /[A-Za-z][A-Za-z0-9_-]*/y;
    m.lastIndex = i;
    const name = m.exec(src)?.[0];
    if (name === undefined) return fail("expected a substitution name after $(");
    i += name.length;
    const args: Template[] = [];
    while (src[i] === " ") {
      i++;
      args.push(argument(ctx));
    }
    if (src[i] !== ")") {
      if (i >= src.length) fail(`unterminated $(${name}`);
      if (src[i] === "(") fail(`unescaped "(" inside $(${name} ...): quote the argument`);
      fail(`unexpected "${src[i]}" in $(${name} ...)`);
    }
    i++;
    return { name, args, raw: src.slice(start, i) };
  }

  function argument(ctx: Context): Template {
    const out: Template = [];
    if (ctx === "top" && (src[i] === "'" || src[i] === '"')) {
      const q = src[i] as "'" | '"';
      i++;
      quoted(q, out);
      return out;
    }
    while (i < src.length) {
      if (startsSub()) out.push(substitution(ctx));
      else {
        const raw = rawArgText(ctx);
        if (raw === "") break;
        pushText(out, raw);
      }
    }
    if (out.length === 0) fail(src[i] === " " ? "two spaces between arguments" : "empty argument");
    return out;
  }

  /** The inside of a quoted argument, up to and including its closing quote. */
  function quoted(q: "'" | '"', out: Template): void {
    let start = i;
    while (i < src.length) {
      const c = src[i];
      if (c === "\\") {
        i += i + 1 < src.length ? 2 : 1;
        continue;
      }
      if (c === q) {
        pushText(out, src.slice(start, i));
        i++;
        if (out.length === 0) out.push("");
        return;
      }
      if (startsSub()) {
        pushText(out, src.slice(start, i));
        out.push(substitution(q));
        start = i;
        continue;
      }
      i++;
    }
    fail(`unterminated ${q} quote`);
  }

  const out: Template = [];
  let start = 0;
  while (i < src.length) {
    if (startsSub()) {
      pushText(out, src.slice(start, i));
      out.push(substitution("top"));
      start = i;
    } else i++;
  }
  pushText(out, src.slice(start));
  return out;
}
