/**
 * Puts messages of different topics back in publication order before the recorder sees them.
 *
 * DDS orders the messages of one writer, not those of different topics: under load a reliable writer's lost
 * datagram is repaired by a retransmit tens of milliseconds later, so an /episode mark or a command can
 * arrive after states published after it. The recorder stamps a headerless message "just after the latest
 * state" (what makes a lock-step run under sim time exact), so such a late message is attributed to a later
 * state: a late episode mark split an episode in two, a late command paired a state with the previous
 * command. Holding each message until one published `windowNs` later has arrived, then releasing in
 * source-timestamp order, undoes any delay shorter than the window (rosbag2-imported logs get the same order
 * from their publish times). Release is driven by arrivals, not a timer; `flush` releases the rest.
 */
export class PublishOrderBuffer {
  #pending: { ts: bigint; seq: number; run: () => void }[] = [];
  #newest: bigint | undefined;
  #seq = 0;

  /** `windowNs` 0 releases every message at once (arrival order). */
  constructor(readonly windowNs: bigint) {
    if (windowNs < 0n) throw new RangeError(`publish-order window must be >= 0 ns, got ${windowNs}`);
  }

  /** Messages held. */
  get size(): number {
    return this.#pending.length;
  }

  /**
   * Runs `run` once every message published up to `windowNs` before it has had time to arrive. Without a
   * source timestamp (a runtime that delivers in order) it runs now, after everything held.
   */
  push(sourceNs: bigint | undefined, run: () => void): void {
    if (sourceNs === undefined || this.windowNs === 0n) {
      this.flush();
      run();
      return;
    }
    const entry = { ts: sourceNs, seq: this.#seq++, run };
    // Mostly appended in order: search from the back.
    let i = this.#pending.length;
    while (i > 0 && this.#pending[i - 1].ts > sourceNs) i--;
    this.#pending.splice(i, 0, entry);
    if (this.#newest === undefined || sourceNs > this.#newest) this.#newest = sourceNs;
    const due = this.#newest - this.windowNs;
    let n = 0;
    while (n < this.#pending.length && this.#pending[n].ts <= due) n++;
    if (n > 0) this.#release(this.#pending.splice(0, n));
  }

  /** Releases everything held, in publication order (at shutdown, before the recorder closes). */
  flush(): void {
    if (this.#pending.length > 0) this.#release(this.#pending.splice(0));
  }

  /** Runs every entry even if one throws (the others are still data), then rethrows the first error. */
  #release(entries: { run: () => void }[]): void {
    let failed: { error: unknown } | undefined;
    for (const e of entries) {
      try {
        e.run();
      } catch (error) {
        failed ??= { error };
      }
    }
    if (failed) throw failed.error;
  }
}
