/**
 * Services in the embedded runtime: one server per name, requests answered on a later turn of the event
 * loop (as over DDS, a call never runs the handler inside the caller's stack).
 */
import { normalizeServiceTypeName } from "../../msgs/registry.js";
import { NodeError, TopicError } from "../node.js";
import type { EndpointOwner } from "./bus.js";

export interface ServiceEntry {
  readonly name: string;
  readonly typeName: string;
  readonly owner: EndpointOwner;
  readonly handler: (request: unknown) => unknown;
}

export class ServiceRegistry {
  readonly services = new Map<string, ServiceEntry>();

  add(
    name: string,
    typeName: string,
    owner: EndpointOwner,
    handler: (request: unknown) => unknown,
  ): ServiceEntry {
    const existing = this.services.get(name);
    if (existing !== undefined)
      throw new TopicError(name, `service already served by ${existing.owner.fullName}`, {
        hint: "one server per service name; remap one side or use another name",
      });
    const entry = { name, typeName: normalizeServiceTypeName(typeName), owner, handler };
    this.services.set(name, entry);
    return entry;
  }

  remove(entry: ServiceEntry): void {
    if (this.services.get(entry.name) === entry) this.services.delete(entry.name);
  }

  available(name: string, typeName: string): boolean {
    return this.services.get(name)?.typeName === normalizeServiceTypeName(typeName);
  }

  /** Runs the server's handler on a later turn; rejects if no server of this type exists or it throws. */
  call(
    caller: string,
    name: string,
    typeName: string,
    request: unknown,
    timeoutMs: number,
  ): Promise<unknown> {
    const type = normalizeServiceTypeName(typeName);
    return new Promise((resolve, reject) => {
      const start = Date.now();
      const attempt = (): void => {
        const entry = this.services.get(name);
        if (entry === undefined || entry.typeName !== type) {
          if (Date.now() - start < timeoutMs) {
            setTimeout(attempt, 10);
            return;
          }
          const found = entry === undefined ? "no server" : `a server of ${entry.typeName}`;
          reject(
            new NodeError(caller, `service ${name} (${type}): ${found} answered within ${timeoutMs} ms`),
          );
          return;
        }
        try {
          resolve(entry.handler(request));
        } catch (err) {
          entry.owner.reportError(`service ${name}`, err);
          reject(new NodeError(caller, `service ${name} failed in ${entry.owner.fullName}`, { cause: err }));
        }
      };
      setImmediate(attempt);
    });
  }
}
