import { tether } from "../tether-process.js";
import { describe, expect, it } from "vitest";

describe("tether deploy (CLI input errors)", () => {
  it("rejects an unknown stage, listing the stages", async () => {
    const r = await tether("deploy", "--model", "x", "--stage", "production");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown stage "production"/);
    expect(r.stderr).toMatch(/offline-eval \| sim-eval \| sim-finetune \| shadow \| canary \| full/);
  }, 60_000);

  it("names the model path when there is no policy package", async () => {
    const r = await tether("deploy", "--model", "/nonexistent/pkg", "--stage", "shadow");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/nonexistent\/pkg/);
    expect(r.stderr).toMatch(/policy\.json/);
  }, 60_000);
});
