import type { RemapRule } from "../ros/names.js";
import type { Env } from "./ament.js";

export type GlobalParam = { name: string; value: string } | { file: string; fullText: string };

/**
 * What a group scopes in ROS 2: launch configurations (args, lets, namespace, global params and remaps)
 * and the environment. Global params and remaps are lists that launch_ros appends to in place, and a
 * group copies the configurations shallowly: so a set_parameter inside a group leaks out of it when an
 * outer one made the list first (Jazzy behaves so; the parity test pins it). Sharing the arrays does the same.
 */
export class Scope {
  vars: Map<string, string>;
  namespace: string;
  globalParams: GlobalParam[] | undefined;
  remaps: RemapRule[] | undefined;
  env: Env;
  delay: number;
  constructor(parent: Scope | { env: Env }) {
    if (parent instanceof Scope) {
      this.vars = new Map(parent.vars);
      this.namespace = parent.namespace;
      this.globalParams = parent.globalParams;
      this.remaps = parent.remaps;
      this.env = { ...parent.env };
      this.delay = parent.delay;
    } else {
      this.vars = new Map();
      this.namespace = "/";
      this.globalParams = undefined;
      this.remaps = undefined;
      this.env = { ...parent.env };
      this.delay = 0;
    }
  }
}
