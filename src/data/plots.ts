/**
 * Charts in Node without a browser or canvas: Vega-Lite -> Vega -> headless View (renderer "none") ->
 * SVG string. PNG rasterizes that SVG with resvg (WebAssembly) using a system TrueType font for text.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { TopLevelSpec } from "vega-lite";
import { NotAvailableError, TetherError } from "../core/errors.js";

export type { TopLevelSpec };

export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
  let view: InstanceType<typeof vega.View> | undefined;
  try {
    const compiled = vegaLite.compile(spec).spec;
    view = new vega.View(vega.parse(compiled), { renderer: "none" });
    return await view.toSVG();
  } catch (err) {
    const title = typeof spec.title === "string" ? spec.title : "(untitled chart)";
    throw new TetherError(
      "CHART",
      `could not render chart "${title}": ${(err as Error).message}`,
      { title },
      { cause: err },
    );
  } finally {
    view?.finalize();
  }
}

/** Sans-serif fonts tried for PNG text, first found wins. */
const FONT_CANDIDATES: { file: string; family: string }[] = [
  { file: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", family: "DejaVu Sans" },
  { file: "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", family: "Liberation Sans" },
  { file: "/usr/share/fonts/TTF/DejaVuSans.ttf", family: "DejaVu Sans" },
  { file: "/System/Library/Fonts/Supplemental/Arial.ttf", family: "Arial" },
  { file: "C:\\Windows\\Fonts\\arial.ttf", family: "Arial" },
];

let resvgReady: Promise<typeof import("@resvg/resvg-wasm")> | undefined;

async function loadResvg(): Promise<typeof import("@resvg/resvg-wasm")> {
  resvgReady ??= (async () => {
    const mod = await import("@resvg/resvg-wasm");
    const wasmPath = createRequire(import.meta.url).resolve("@resvg/resvg-wasm/index_bg.wasm");
    await mod.initWasm(readFileSync(wasmPath));
    return mod;
  })();
  return resvgReady;
}

/** Rasterizes an SVG to PNG bytes at `scale` x its size. Needs a TrueType font on the system for text. */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const font = FONT_CANDIDATES.find((f) => existsSync(f.file));
  if (!font) {
    throw new NotAvailableError(
      "PNG charts",
      `no TrueType font found (looked for ${FONT_CANDIDATES.map((f) => f.file).join(", ")})`,
      { hint: "write an .svg plot instead" },
    );
  }
  const { Resvg } = await loadResvg();
  const fontBuffer = new Uint8Array(readFileSync(font.file));
  const r = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: { fontBuffers: [fontBuffer], defaultFontFamily: font.family, sansSerifFamily: font.family },
  });
  try {
    return r.render().asPng();
  } finally {
    r.free();
  }
}

/** Renders `spec` into `file`: PNG when its name ends in .png, SVG otherwise. */
export async function writePlot(file: string, spec: TopLevelSpec): Promise<void> {
  const svg = await renderVegaLiteSvg(spec);
  writeFileSync(file, /\.png$/i.test(file) ? await svgToPng(svg) : svg);
}
