import { DtRunner } from "./src/policy/dt-runner.js";
import { dtPairShapes } from "./src/policy/dt-layout.js";
const spec = { embedDim: 64, layers: 2, heads: 1, contextLength: 20, maxEpisodeLength: 1000, returnScale: 0.001, targetReturn: 100 };
const obsDim = 11, actDim = 2;
const pairs = dtPairShapes(obsDim, actDim, spec).map(([i, o]) => ({ inDim: i, outDim: o, activation: "linear" as const, weight: Float32Array.from({ length: i * o }, () => Math.random() * 0.1 - 0.05), bias: Float32Array.from({ length: o }, () => Math.random() * 0.1) }));
const r = new DtRunner({ spec, pairs, obsMean: new Array(obsDim).fill(0), obsStd: new Array(obsDim).fill(1), obsDim, actDim });
const obs = new Float32Array(obsDim).fill(0.3); const out = new Float64Array(actDim);
for (let i = 0; i < 200; i++) { r.act(obs, out); r.reward(0.1); }
const c0 = process.cpuUsage(); const t0 = performance.now(); const n = 1000;
for (let i = 0; i < n; i++) { r.act(obs, out); r.reward(0.1); }
const c = process.cpuUsage(c0); console.log("ms per tick wall", (performance.now() - t0) / n, "cpu", (c.user + c.system) / 1000 / n);
