/**
 * The official MuJoCo WebAssembly bindings (`@mujoco/mujoco`, Google DeepMind, MuJoCo 3.14), loaded once per
 * process (or worker thread), and MJCF compilation with errors that name the file and MuJoCo's message.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { MainModule, MjModel } from "@mujoco/mujoco";
import { ConfigError } from "../core/errors.js";

export type MujocoModule = MainModule;
export type { MjModel, MjData } from "@mujoco/mujoco";

/** A compiled WebAssembly.Module (the lib settings here carry no DOM WebAssembly types). */
export type CompiledWasm = { readonly __compiledWasm?: never };
interface WasmApi {
  compile(bytes: Uint8Array): Promise<CompiledWasm>;
  instantiate(module: CompiledWasm, imports: unknown): Promise<unknown>;
  Module: abstract new (...args: never[]) => CompiledWasm;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export function isCompiledWasm(value: unknown): value is CompiledWasm {
  return value instanceof wasmApi.Module;
}

let modulePromise: Promise<MujocoModule> | undefined;
let wasmPromise: Promise<CompiledWasm> | undefined;

/**
 * The compiled `mujoco.wasm`, once per process. Worker threads receive it from their parent (a compiled
 * WebAssembly.Module is shareable between threads), so each worker skips the costly compile.
 */
export function compileMujocoWasm(): Promise<CompiledWasm> {
  if (!wasmPromise) {
    const file = createRequire(import.meta.url).resolve("@mujoco/mujoco/mujoco.wasm");
    wasmPromise = readFile(file).then((bytes) => wasmApi.compile(bytes));
    wasmPromise.catch(() => {
      wasmPromise = undefined;
    });
  }
  return wasmPromise;
}

/** Hands an already compiled mujoco.wasm to this thread (workers call this with their parent's module). */
export function provideMujocoWasm(module: CompiledWasm): void {
  wasmPromise = Promise.resolve(module);
}

/** Loads the single-threaded WASM build once; later calls share the same promise. */
export function loadMujocoModule(): Promise<MujocoModule> {
  if (!modulePromise) {
    modulePromise = (async () => {
      const [wasm, factory] = await Promise.all([
        compileMujocoWasm(),
        import("@mujoco/mujoco").then((m) => m.default),
      ]);
      return factory({
        instantiateWasm(imports: unknown, done: (instance: unknown, module: CompiledWasm) => void) {
          void wasmApi.instantiate(wasm, imports).then((instance) => done(instance, wasm));
          return {};
        },
      });
    })();
    // A failed load must not poison every later call.
    modulePromise.catch(() => {
      modulePromise = undefined;
    });
  }
  return modulePromise;
}

/** Compiles an MJCF string; MuJoCo's compiler message becomes a ConfigError naming `file`. */
export function compileMjcf(mj: MujocoModule, xml: string, file: string): MjModel {
  try {
    return mj.MjModel.from_xml_string(xml);
  } catch (err) {
    const raw = err instanceof Error ? err.message : String(err);
    const detail = raw
      .replace(/^MuJoCo Error:\s*/, "")
      .replace(/\s+/g, " ")
      .trim();
    throw new ConfigError(file, "(mjcf)", detail, {
      cause: err,
      hint: "fix the MJCF model (see MuJoCo's XML reference)",
    });
  }
}

/** Reads and compiles an MJCF file. */
export function loadMjcfFile(mj: MujocoModule, file: string): MjModel {
  let xml: string;
  try {
    xml = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(file, "(file)", `cannot read MJCF: ${(err as Error).message}`, { cause: err });
  }
  return compileMjcf(mj, xml, file);
}
