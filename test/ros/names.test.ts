import { describe, expect, it } from "vitest";
import {
  NameError,
  expandTopicName,
  normalizeNamespace,
  parseRemap,
  resolveTopicName,
} from "../../src/ros/names.js";

describe("ROS 2 name resolution", () => {
  it("expands absolute, relative, private and substituted names", () => {
    expect(expandTopicName("/chatter", "talker", "/ns")).toBe("/chatter");
    expect(expandTopicName("chatter", "talker", "/ns")).toBe("/ns/chatter");
    expect(expandTopicName("chatter", "talker", "/")).toBe("/chatter");
    expect(expandTopicName("~/state", "talker", "/a/b")).toBe("/a/b/talker/state");
    expect(expandTopicName("~", "talker", "/")).toBe("/talker");
    expect(expandTopicName("{node}/out", "talker", "/ns")).toBe("/ns/talker/out");
  });

  it("normalizes namespaces", () => {
    expect(normalizeNamespace("")).toBe("/");
    expect(normalizeNamespace("arm")).toBe("/arm");
    expect(normalizeNamespace("/arm/left/")).toBe("/arm/left");
  });

  it("rejects invalid names", () => {
    expect(() => expandTopicName("a//b", "n", "/")).toThrow(NameError);
    expect(() => expandTopicName("1abc", "n", "/")).toThrow(/token "1abc"/);
    expect(() => expandTopicName("~abc", "n", "/")).toThrow(/"~" must be followed by "\/"/);
    expect(() => expandTopicName("", "n", "/")).toThrow(/cannot be empty/);
    expect(() => normalizeNamespace("/bad-ns")).toThrow(NameError);
  });

  it("applies remaps on fully expanded names, first match wins", () => {
    const rules = [parseRemap("joint_states:=/robot1/joint_states"), parseRemap("/cmd:=cmd_remapped")];
    expect(resolveTopicName("joint_states", "n", "/sim", rules)).toBe("/robot1/joint_states");
    // "joint_states" in rule expands to /sim/joint_states, which does not match /joint_states.
    expect(resolveTopicName("/joint_states", "n", "/sim", rules)).toBe("/joint_states");
    expect(resolveTopicName("/cmd", "n", "/sim", rules)).toBe("/sim/cmd_remapped");
  });

  it("honours node-specific remaps and parses rule syntax", () => {
    const rule = parseRemap("talker:chatter:=other");
    expect(rule).toEqual({ node: "talker", from: "chatter", to: "other" });
    expect(resolveTopicName("chatter", "talker", "/", [rule])).toBe("/other");
    expect(resolveTopicName("chatter", "listener", "/", [rule])).toBe("/chatter");
    expect(() => parseRemap("nonsense")).toThrow(/"from:=to"/);
  });
});
