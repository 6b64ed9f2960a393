import { describe, expect, it } from "vitest";
import { allocBytesPerTick, bytesPerTick } from "../../../src/safety/loop/heap-per-tick.js";

describe("bytesPerTick", () => {
  it("is about 0 for a tick that keeps nothing, even if it makes garbage", () => {
    let sum = 0;
    const perTick = bytesPerTick((i) => {
      sum += new Float64Array(4).fill(i)[0]; // short-lived: collected by the closing GC
    }, 200_000);
    expect(sum).toBeGreaterThan(0);
    expect(Math.abs(perTick)).toBeLessThan(2);
  });

  it("counts what a tick keeps", () => {
    const kept: Float64Array[] = [];
    const perTick = bytesPerTick(() => kept.push(new Float64Array(16)), 20_000, 100); // 128 bytes of data each
    expect(kept).toHaveLength(20_100);
    expect(perTick).toBeGreaterThan(128);
  });
});

describe("allocBytesPerTick", () => {
  it("sees short-lived garbage that bytesPerTick does not", async () => {
    let sum = 0;
    const perTick = await allocBytesPerTick((i) => {
      sum += new Float64Array(16).fill(i)[0]; // 128 bytes of data, dropped at once
    });
    expect(sum).toBeGreaterThan(0);
    expect(perTick).toBeGreaterThan(128);
  });

  it("is about 0 for a tick that allocates nothing", async () => {
    const buf = new Float64Array(64);
    const perTick = await allocBytesPerTick((i) => {
      for (let j = 0; j < buf.length; j++) buf[j] = buf[j] * 0.5 + i;
    });
    expect(buf[0]).toBeGreaterThan(0);
    expect(Math.abs(perTick)).toBeLessThan(1);
  });
});
