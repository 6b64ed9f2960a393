/**
 * What a real-time loop runs: a module exporting `createRealtimeTick(options)` builds the tick (controller,
 * shield, monitors, I/O) on the thread that runs the loop, so a worker builds its own in its own isolate.
 * `options` and `finish()`'s result cross threads by structured clone.
 */
export interface RealtimeTick<R = unknown> {
  /** One control tick for slot `slot`; must not allocate (it runs inside the deadline). */
  tick(slot: number): void;
  /** Called `loop.prepareMs` before slot `slot` (when set): wake what the tick will need. Must not allocate. */
  prepare?(slot: number): void;
  /**
   * Called right after `tick(slot)`, outside its timing: hand-offs that need not hold the tick, such as
   * waking the thread that publishes the command the tick left in shared memory. Must not allocate.
   */
  after?(slot: number): void;
  /** Called once after the last slot: what the tick wants to report (counts, its own figures). */
  finish(): R;
}

export interface RealtimeTickModule<O = unknown, R = unknown> {
  createRealtimeTick(options: O): RealtimeTick<R> | Promise<RealtimeTick<R>>;
}
