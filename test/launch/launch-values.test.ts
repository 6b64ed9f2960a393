import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LaunchValueError, launchParameterValue } from "../../src/launch/launch-values.js";
import { runPython, skipWithoutRos2 } from "./ros2/python.js";

type Result = { ok: unknown } | { err: string };

const xmlAttr = (t: string): string =>
  t.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Each text as <param value=...> of a node, resolved by ROS 2's launch (test/launch/ros2/resolve_launch.py). */
function rosValues(texts: string[]): Result[] {
  const dir = mkdtempSync(join(tmpdir(), "tether-values-"));
  const files = texts.map((t, k) => {
    const file = join(dir, `v${k}.launch.xml`);
    writeFileSync(
      file,
      `<launch><node pkg="p" exec="e" name="n"><param name="v" value="${xmlAttr(t)}"/></node></launch>`,
    );
    return { file, args: {} };
  });
  const out = runPython("resolve_launch.py", { files }, { ros2: true }) as (
    { nodes: { parameters: { v: unknown } }[] } | { error: string }
  )[];
  return out.map((r) => ("error" in r ? { err: r.error } : { ok: r.nodes[0].parameters.v }));
}

/** As resolve_launch.py writes values: JSON has no inf or nan. */
const jsonable = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(jsonable)
    : typeof v === "number" && !Number.isFinite(v)
      ? { nonfinite: Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf" }
      : v;

function ours(text: string): Result {
  try {
    return { ok: jsonable(launchParameterValue(text)) };
  } catch (err) {
    if (err instanceof LaunchValueError) return { err: "refused" };
    throw err;
  }
}

const TABLE = [
  "yes",
  "On",
  "OFF",
  "y",
  "n",
  "true",
  "True",
  "tRUE",
  "0x1F",
  "0b101",
  "010",
  "0o10",
  "08",
  "1_000",
  "1:30",
  "190:20:30",
  "-1:30",
  "1e3",
  "1.0e3",
  "1.0e+3",
  "6.02e+23",
  "-.5",
  ".5",
  "+7",
  "1.",
  "1.5_0",
  ".inf",
  "-.Inf",
  ".NaN",
  "1:30.5",
  "~",
  "null",
  "",
  "  12  ",
  "'quoted'",
  '"5"',
  "x # y",
  "a: b",
  "{a: 1}",
  "2021-01-01",
  "2001-12-14t21:59:43.10-05:00",
  "[a, 'b c']",
  "[1, 2.5]",
  "[1, 2]",
  "[true, no]",
  "[]",
  "[1, 'a']",
  "[[1]]",
  "[~]",
  "- a",
  "hello world",
  "C:/path",
  "$HOME",
  "@at",
  "`tick",
  "%pct",
  "a,b",
  "[unclosed",
  "'unclosed",
  "key:",
  "-",
  "?",
];

describe.skipIf(skipWithoutRos2)("launch parameter values, typed as ROS 2's launch types them", () => {
  const compare = (texts: string[]): string[] => {
    const py = rosValues(texts);
    return texts.flatMap((t, k) => {
      const mine = ours(t);
      const r = py[k];
      const same =
        "ok" in r ? "ok" in mine && JSON.stringify(mine.ok) === JSON.stringify(r.ok) : "err" in mine;
      return same ? [] : [`${JSON.stringify(t)}: ROS 2 ${JSON.stringify(r)}, tether ${JSON.stringify(mine)}`];
    });
  };

  it("agrees on the table", () => {
    expect(compare(TABLE)).toEqual([]);
  });

  it("agrees on generated values", () => {
    const token = fc.constantFrom(
      "0",
      "1",
      "7",
      "9",
      "-",
      "+",
      ".",
      "e",
      "E",
      "_",
      ":",
      "x",
      "b",
      "a",
      "f",
      "yes",
      "no",
      "on",
      "Off",
      "inf",
      "nan",
      "~",
      " ",
      "'",
      '"',
      "[",
      "]",
      ",",
      "#",
      "null",
      "true",
    );
    const texts = fc.sample(
      fc.array(token, { minLength: 1, maxLength: 6 }).map((a) => a.join("")),
      { numRuns: 600, seed: 7 },
    );
    expect(compare(texts).slice(0, 20)).toEqual([]);
  });
});
