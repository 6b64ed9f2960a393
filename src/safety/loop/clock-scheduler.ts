/**
 * A manual clock that is also an RxJS scheduler: `now()` is the loop's time in ms, and monitor timers fire
 * when the loop advances the clock past them. Drives the fault-injection harness deterministically.
 *
 * Not RxJS's VirtualTimeScheduler: its VirtualAction reschedules by creating a new action nested inside the
 * old one, so a periodic timer (every monitor watchdog) builds a chain one link per period, and after a few
 * thousand periods unsubscribing it overflows the stack. Here an action re-queues itself: a periodic timer
 * is one object for its whole life, and the queue holds each live action at most once.
 */
import { Subscription, type SchedulerAction, type SchedulerLike } from "rxjs";

type Work<T> = (this: SchedulerAction<T>, state?: T) => void;

interface Queued {
  due: number;
  seq: number;
  run(): void;
}

class ClockAction<T> extends Subscription implements SchedulerAction<T>, Queued {
  due = 0;
  /** Scheduling order: breaks ties between actions due at the same time (first scheduled runs first). */
  seq = 0;
  state: T | undefined;

  constructor(
    private readonly clock: ClockScheduler,
    private readonly work: Work<T>,
  ) {
    super(() => clock.dequeue(this));
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.state = state;
    this.clock.enqueue(this, delay);
    return this;
  }

  /** A throwing action is cancelled (as in RxJS) and the error reaches the caller of advanceTo. */
  run(): void {
    try {
      this.work.call(this, this.state);
    } catch (err) {
      this.unsubscribe();
      throw err;
    }
  }
}

export class ClockScheduler implements SchedulerLike {
  private frame: number;
  private seq = 0;
  /** Queued actions sorted by (due, seq); a handful of monitor timers, so a sorted array is enough. */
  private readonly queue: Queued[] = [];

  constructor(startMs = 0) {
    this.frame = startMs;
  }

  now(): number {
    return this.frame;
  }

  schedule<T>(work: Work<T>, delay = 0, state?: T): Subscription {
    return new ClockAction<T>(this, work).schedule(state, delay);
  }

  /** Timers waiting to fire. */
  get pendingActions(): number {
    return this.queue.length;
  }

  /** Moves time forward to `t` ms, running every timer due on the way (each at its own due time). */
  advanceTo(t: number): void {
    if (t < this.frame) return;
    const queue = this.queue;
    while (queue.length > 0 && queue[0].due <= t) {
      const action = queue.shift()!;
      this.frame = action.due;
      action.run();
    }
    this.frame = t;
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.frame + ms);
  }

  /** @internal (ClockAction) Queues `action` at now + delay, replacing its earlier place if it had one. */
  enqueue(action: Queued, delay: number): void {
    this.dequeue(action);
    if (!Number.isFinite(delay)) return;
    action.due = this.now() + Math.max(0, delay);
    action.seq = this.seq++;
    const queue = this.queue;
    let lo = 0;
    let hi = queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const q = queue[mid];
      if (q.due < action.due || (q.due === action.due && q.seq < action.seq)) lo = mid + 1;
      else hi = mid;
    }
    queue.splice(lo, 0, action);
  }

  /** @internal (ClockAction) */
  dequeue(action: Queued): void {
    const i = this.queue.indexOf(action);
    if (i >= 0) this.queue.splice(i, 1);
  }
}
