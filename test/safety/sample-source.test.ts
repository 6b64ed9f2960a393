import { describe, expect, it } from "vitest";
import { SampleSource } from "../../src/safety/sample-source.js";

describe("SampleSource", () => {
  it("delivers each sample to every current subscriber, and none after unsubscribe", () => {
    const src = new SampleSource<number>();
    const a: number[] = [];
    const b: number[] = [];
    const subA = src.subscribe((v) => a.push(v));
    src.next(1);
    src.subscribe((v) => b.push(v));
    src.next(2);
    subA.unsubscribe();
    src.next(3);
    expect(a).toEqual([1, 2]);
    expect(b).toEqual([2, 3]);
  });
});
