/** Launch XML -> a small element tree with line numbers (saxes), so every later error names file:line. */
import { SaxesParser } from "saxes";
import { LaunchError } from "../core/errors.js";

export interface XmlElement {
  tag: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  line: number;
  file: string;
}

export function parseLaunchXml(text: string, file: string): XmlElement {
  const parser = new SaxesParser({ position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let startLine = 1;
  let failure: LaunchError | undefined;

  parser.on("opentagstart", () => {
    startLine = parser.line;
  });
  parser.on("opentag", (tag) => {
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(tag.attributes)) attrs[k] = typeof v === "string" ? v : v.value;
    const el: XmlElement = { tag: tag.name, attrs, children: [], line: startLine, file };
    const parent = stack.at(-1);
    if (parent) parent.children.push(el);
    else if (root === undefined) root = el;
    stack.push(el);
  });
  parser.on("closetag", () => {
    stack.pop();
  });
  parser.on("text", (t) => {
    if (failure === undefined && stack.length > 0 && t.trim() !== "") {
      failure = new LaunchError(
        file,
        parser.line,
        `unexpected text "${t.trim().slice(0, 40)}" inside <${stack.at(-1)?.tag}>`,
        {
          hint: "launch XML carries everything in attributes",
        },
      );
    }
  });
  parser.on("cdata", () => {
    failure ??= new LaunchError(file, parser.line, "CDATA sections are not part of ROS 2 launch XML");
  });
  parser.on("error", (err) => {
    failure ??= new LaunchError(
      file,
      parser.line,
      `malformed XML: ${err.message.replace(/^[^:]*:\d+:\d+: /, "")}`,
    );
  });
  try {
    parser.write(text).close();
  } catch (err) {
    failure ??= new LaunchError(
      file,
      parser.line,
      `malformed XML: ${(err as Error).message.replace(/^[^:]*:\d+:\d+: /, "")}`,
    );
  }
  if (failure) throw failure;
  if (!root) throw new LaunchError(file, 1, "empty launch file: expected a <launch> root element");
  if (root.tag !== "launch")
    throw new LaunchError(file, root.line, `the root element must be <launch>, found <${root.tag}>`);
  return root;
}
