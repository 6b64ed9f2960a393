import { tether } from "../tether-process.js";
import { describe, expect, it } from "vitest";

describe("tether demo / eval (CLI smoke)", () => {
  it("bare `tether demo` on an unknown robot names the robots (and runs nothing)", async () => {
    const r = await tether("demo", "--robot", "no-such-bot");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown robot "no-such-bot"/);
    expect(r.stderr).toMatch(/pendulum/);
  });

  it("`tether eval` rejects a missing model, naming it (the message every --model shares)", async () => {
    const r = await tether("eval", "--model", "/nonexistent/model", "--robot", "pendulum");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /\/nonexistent\/model: --model: no policy package \(policy\.json\) there or under models\//,
    );
  });

  it("`tether eval` rejects --episodes 1 (an interval needs 2 samples)", async () => {
    const r = await tether("eval", "--model", "x", "--robot", "pendulum", "--episodes", "1");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--episodes expects at least 2/);
  });
});
