/**
 * ROS 2 name resolution (rcl's rules, design article "Topic and Service name mapping"):
 *   absolute "/a/b" stays; relative "b" -> "<namespace>/b"; private "~/b" -> "<namespace>/<node>/b";
 *   "{node}" and "{ns}"/"{namespace}" substitute; remap rules match the fully expanded name (their `from`
 *   is expanded the same way) and replace it by their expanded `to`.
 */
import { TetherError } from "../core/errors.js";

export class NameError extends TetherError {
  constructor(
    readonly rosName: string,
    detail: string,
  ) {
    super("ROS_NAME", `invalid ROS name "${rosName}": ${detail}`, { name: rosName });
  }
}

const NODE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TOKEN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function validateNodeName(name: string): string {
  if (!NODE_NAME.test(name))
    throw new NameError(name, "node names are letters, digits and _, not starting with a digit");
  return name;
}

/** "", "/" -> "/"; "arm" or "/arm/" -> "/arm". */
export function normalizeNamespace(ns: string | undefined): string {
  if (ns === undefined || ns === "" || ns === "/") return "/";
  let out = ns.startsWith("/") ? ns : `/${ns}`;
  while (out.length > 1 && out.endsWith("/")) out = out.slice(0, -1);
  validateAbsolute(out);
  return out;
}

function validateAbsolute(name: string): void {
  if (name === "/") return;
  const parts = name.slice(1).split("/");
  for (const p of parts) {
    if (!TOKEN.test(p)) {
      throw new NameError(
        name,
        p === ""
          ? 'empty token ("//" or a trailing "/")'
          : `token "${p}" must be letters, digits and _, not starting with a digit`,
      );
    }
  }
}

export function joinNamespace(ns: string, name: string): string {
  return ns === "/" ? `/${name}` : `${ns}/${name}`;
}

/** Expands a topic name for a node (no remapping). */
export function expandTopicName(name: string, nodeName: string, namespace: string): string {
  if (name === "") throw new NameError(name, "topic names cannot be empty");
  const ns = normalizeNamespace(namespace);
  const nsText = ns === "/" ? "" : ns;
  let n = name.replaceAll("{node}", nodeName).replaceAll("{namespace}", nsText).replaceAll("{ns}", nsText);
  if (n === "~") n = joinNamespace(ns, nodeName);
  else if (n.startsWith("~/")) n = `${joinNamespace(ns, nodeName)}/${n.slice(2)}`;
  else if (n.startsWith("~")) throw new NameError(name, '"~" must be followed by "/"');
  else if (!n.startsWith("/")) n = joinNamespace(ns, n);
  if (n.length > 1 && n.endsWith("/")) throw new NameError(name, "names cannot end with /");
  validateAbsolute(n);
  return n;
}

export interface RemapRule {
  from: string;
  to: string;
  /** Applies only to this node name (the "node:from:=to" form); undefined = every node it is given to. */
  node?: string;
}

/** Parses "from:=to" or "node:from:=to". */
export function parseRemap(text: string): RemapRule {
  const i = text.indexOf(":=");
  if (i <= 0 || i === text.length - 2) throw new NameError(text, 'remap rules are "from:=to"');
  const lhs = text.slice(0, i);
  const to = text.slice(i + 2);
  const colon = lhs.indexOf(":");
  if (colon > 0) return { node: lhs.slice(0, colon), from: lhs.slice(colon + 1), to };
  return { from: lhs, to };
}

/** The first matching remap rule's target, else the name itself. Rules for __ns/__node are skipped. */
export function applyRemaps(
  expanded: string,
  rules: readonly RemapRule[],
  nodeName: string,
  namespace: string,
): string {
  for (const rule of rules) {
    if (rule.from.startsWith("__")) continue;
    if (rule.node !== undefined && rule.node !== nodeName) continue;
    if (expandTopicName(rule.from, nodeName, namespace) === expanded)
      return expandTopicName(rule.to, nodeName, namespace);
  }
  return expanded;
}

export function resolveTopicName(
  name: string,
  nodeName: string,
  namespace: string,
  rules: readonly RemapRule[] = [],
): string {
  return applyRemaps(expandTopicName(name, nodeName, namespace), rules, nodeName, namespace);
}
