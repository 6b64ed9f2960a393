/**
 * A manual clock that is also an RxJS scheduler: `now()` is the loop's time in ms, and monitor timers fire
 * when the loop advances the clock past them. Drives the fault-injection harness deterministically.
 */
import { VirtualAction, VirtualTimeScheduler } from "rxjs";

export class ClockScheduler extends VirtualTimeScheduler {
  constructor(startMs = 0) {
    super(VirtualAction, Infinity);
    this.frame = startMs;
  }

  /** Moves time forward to `t` ms, running every timer due on the way. */
  advanceTo(t: number): void {
    if (t < this.frame) return;
    this.maxFrames = t;
    this.flush();
    this.frame = t;
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.frame + ms);
  }
}
