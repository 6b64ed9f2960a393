/** Recognises ROS 1 launch files, so they are named as such instead of failing on their first ROS 1 tag. */
import { LaunchError } from "../core/errors.js";
import type { XmlElement } from "./xml.js";

const ROS1_TAGS = new Set(["rosparam", "machine", "test", "master"]);
const ROS1_SUBSTITUTION = /\$\((arg|find|optenv)\s/;

function ros1Evidence(el: XmlElement): XmlElement | undefined {
  if (ROS1_TAGS.has(el.tag)) return el;
  if (el.tag === "node" && el.attrs.type !== undefined && el.attrs.exec === undefined) return el;
  if (el.tag === "include" && el.attrs.file !== undefined && /\$\(find\s/.test(el.attrs.file)) return el;
  if (Object.values(el.attrs).some((v) => ROS1_SUBSTITUTION.test(v))) return el;
  for (const c of el.children) {
    const found = ros1Evidence(c);
    if (found) return found;
  }
  return undefined;
}

/** Throws a LaunchError naming the file as ROS 1 when its tags or substitutions are ROS 1's. */
export function rejectRos1(root: XmlElement): void {
  const el = ros1Evidence(root);
  if (el === undefined) return;
  const what =
    el.tag === "node" && el.attrs.type !== undefined
      ? `<node type="${el.attrs.type}">`
      : ROS1_TAGS.has(el.tag)
        ? `<${el.tag}>`
        : "$(arg)/$(find)/$(optenv)";
  throw new LaunchError(el.file, el.line, `this is a ROS 1 launch file (${what} is ROS 1 syntax)`, {
    hint: "ROS 2 launch XML writes <node pkg exec>, $(var name), $(find-pkg-share pkg) and <param from=...>; port the file, or run it with roslaunch",
  });
}
