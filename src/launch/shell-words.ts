/** Python's shlex.split (POSIX mode, no comments): how launch splits command lines and $(command). */
export class ShellWordsError extends Error {}

export function shlexSplit(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let has = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
    } else if (quote === '"') {
      // Inside double quotes a backslash escapes only " and itself.
      if (c === '"') quote = undefined;
      else if (c === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\")) cur += text[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      if (has) out.push(cur);
      cur = "";
      has = false;
    } else if (c === "\\") {
      if (i + 1 >= text.length)
        throw new ShellWordsError(`no escaped character after the final backslash in "${text}"`);
      cur += text[++i];
      has = true;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote !== undefined) throw new ShellWordsError(`unterminated ${quote} quote in "${text}"`);
  if (has) out.push(cur);
  return out;
}
