/**
 * The e-stop latch: once tripped it stays engaged — whatever the monitors say afterwards — until an explicit
 * `reset(by)`. While engaged the loop commands zero effort.
 */
import { BehaviorSubject, type Observable } from "rxjs";
import type { SafetyEvent } from "./events.js";

export interface EStopState {
  engaged: boolean;
  /** The event that tripped the latch (first one only). */
  cause: SafetyEvent | undefined;
  trips: number;
}

export class EStopLatch {
  private readonly subject = new BehaviorSubject<EStopState>({ engaged: false, cause: undefined, trips: 0 });

  get engaged(): boolean {
    return this.subject.value.engaged;
  }

  get cause(): SafetyEvent | undefined {
    return this.subject.value.cause;
  }

  get trips(): number {
    return this.subject.value.trips;
  }

  /** Emits the current state, then every change. */
  get state$(): Observable<EStopState> {
    return this.subject.asObservable();
  }

  /** Engages the latch; returns true when this call engaged it (false when already engaged). */
  trip(cause: SafetyEvent): boolean {
    const s = this.subject.value;
    if (s.engaged) return false;
    this.subject.next({ engaged: true, cause, trips: s.trips + 1 });
    return true;
  }

  /** The only way out: an explicit reset by a named operator or service. Returns false if it was not engaged. */
  reset(_by: string): boolean {
    const s = this.subject.value;
    if (!s.engaged) return false;
    this.subject.next({ engaged: false, cause: undefined, trips: s.trips });
    return true;
  }
}
