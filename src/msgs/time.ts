/** builtin_interfaces/msg/Time <-> seconds. Nanoseconds are rounded and carried so nanosec stays in [0, 1e9). */
import type { Time } from "./types.js";

export function timeFromSeconds(seconds: number): Time {
  let sec = Math.floor(seconds);
  let nanosec = Math.round((seconds - sec) * 1e9);
  if (nanosec >= 1e9) {
    sec += 1;
    nanosec -= 1e9;
  }
  return { sec, nanosec };
}

export function secondsFromTime(t: Time): number {
  return t.sec + t.nanosec * 1e-9;
}

/** Nanoseconds since the epoch as a bigint (exact, as MCAP log times need). */
export function nanosFromTime(t: Time): bigint {
  return BigInt(t.sec) * 1_000_000_000n + BigInt(t.nanosec);
}

export function timeFromNanos(ns: bigint): Time {
  const sec = ns / 1_000_000_000n;
  let rem = ns % 1_000_000_000n;
  let s = Number(sec);
  if (rem < 0n) {
    rem += 1_000_000_000n;
    s -= 1;
  }
  return { sec: s, nanosec: Number(rem) };
}
