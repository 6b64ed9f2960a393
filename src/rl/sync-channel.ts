/**
 * Blocking request/reply with a worker thread, so a synchronous interface (Learner) can sit on top of
 * workers: the caller posts on a MessagePort, rings a doorbell in shared memory (Atomics.notify) and blocks
 * in Atomics.wait until the worker rings back; the reply is read with receiveMessageOnPort. The worker side
 * never returns to its event loop while serving.
 *
 * Errors thrown by the worker's handler come back as the same TetherError (code, message, context); other
 * errors as a WorkerError naming the worker.
 */
import { receiveMessageOnPort, type MessagePort, type TransferListItem } from "node:worker_threads";
import { TetherError, type ErrorContext } from "../core/errors.js";
import { WorkerError } from "../core/ts-worker.js";

/** Int32 slots of the doorbell buffer. */
const REQUESTS = 0;
const REPLIES = 1;
const DEAD = 2;
const SLOTS = 3;

export function createDoorbell(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
}

interface SerializedError {
  name: string;
  message: string;
  code?: string;
  context?: ErrorContext;
  stack?: string;
}

type Reply = { ok: true; value: unknown } | { ok: false; error: SerializedError };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof TetherError)
    return { name: err.name, message: err.message, code: err.code, context: err.context };
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: "Error", message: String(err) };
}

export function deserializeError(e: SerializedError, who: string): Error {
  if (e.code !== undefined) return new TetherError(e.code, e.message, e.context ?? {});
  // The worker's stack (after its first line, which repeats the message) says where it failed.
  const where = e.stack?.split("\n").slice(1).join("\n");
  return new WorkerError(`${who}: ${e.name}: ${e.message}${where ? `\n${where}` : ""}`);
}

/** The calling side (main thread). */
export class SyncCaller {
  private replies = 0;

  constructor(
    private readonly port: MessagePort,
    private readonly doorbell: Int32Array,
    /** Names the worker in errors, e.g. "IQL q worker". */
    readonly who: string,
  ) {}

  /** Posts a request without waiting (pair with `receive`, to run several workers at once). */
  send(message: unknown, transfer: TransferListItem[] = []): void {
    this.port.postMessage(message, transfer);
    Atomics.add(this.doorbell, REQUESTS, 1);
    Atomics.notify(this.doorbell, REQUESTS);
  }

  /** Blocks until the reply to the oldest unanswered request; throws the worker's error. */
  receive<T>(): T {
    const want = ++this.replies;
    for (;;) {
      const got = Atomics.load(this.doorbell, REPLIES);
      if (got >= want) break;
      if (Atomics.load(this.doorbell, DEAD) !== 0) throw new WorkerError(`${this.who} exited`);
      Atomics.wait(this.doorbell, REPLIES, got, 1000);
    }
    const received = receiveMessageOnPort(this.port);
    if (!received) throw new WorkerError(`${this.who} rang without a reply`);
    const reply = received.message as Reply;
    if (!reply.ok) throw deserializeError(reply.error, this.who);
    return reply.value as T;
  }

  call<T>(message: unknown, transfer: TransferListItem[] = []): T {
    this.send(message, transfer);
    return this.receive<T>();
  }
}

export interface Handled {
  value: unknown;
  transfer?: TransferListItem[];
  /** Stop serving after this reply. */
  last?: boolean;
}

/** The worker side: answers requests one at a time, forever or until a handler returns `last`. */
export function serveSync(
  port: MessagePort,
  doorbell: Int32Array,
  handle: (message: unknown) => Handled,
): void {
  process.on("exit", () => {
    Atomics.store(doorbell, DEAD, 1);
    Atomics.notify(doorbell, REPLIES);
  });
  let served = 0;
  for (;;) {
    while (Atomics.load(doorbell, REQUESTS) === served) Atomics.wait(doorbell, REQUESTS, served);
    served++;
    const received = receiveMessageOnPort(port);
    let reply: Reply;
    let handled: Handled | undefined;
    try {
      if (!received) throw new Error("doorbell rang without a message");
      handled = handle(received.message);
      reply = { ok: true, value: handled.value };
    } catch (err) {
      reply = { ok: false, error: serializeError(err) };
    }
    port.postMessage(reply, handled?.transfer ?? []);
    Atomics.add(doorbell, REPLIES, 1);
    Atomics.notify(doorbell, REPLIES);
    if (handled?.last) return;
  }
}
