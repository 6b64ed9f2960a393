/**
 * A hot source of samples for the monitors, like an RxJS Subject without its per-`next` allocations
 * (Subject.next wraps each call in a fresh closure), so a control tick allocates nothing to feed them.
 * Only `next` is offered: SafetyCore's inputs never complete or fail.
 */
import { Observable, type Subscriber } from "rxjs";

export class SampleSource<T> extends Observable<T> {
  private readonly subscribers: Subscriber<T>[];

  constructor() {
    const subscribers: Subscriber<T>[] = [];
    super((subscriber) => {
      subscribers.push(subscriber);
      return () => {
        const i = subscribers.indexOf(subscriber);
        if (i >= 0) subscribers.splice(i, 1);
      };
    });
    this.subscribers = subscribers;
  }

  next(value: T): void {
    const subs = this.subscribers;
    for (let i = 0; i < subs.length; i++) subs[i].next(value);
  }
}
