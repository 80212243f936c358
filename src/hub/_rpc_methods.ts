// The hub's RPC method table: `hub.rpc` registrations, exact names and
// prefixes ("chat.*"), and the lookup a session's `rpc` request makes.
// Internal.

import type { RpcHandler } from "./handlers.ts";
import { RPC_METHOD_NAME } from "./_resolve_handlers.ts";

/** Registered RPC handlers: an exact name wins, then the longest prefix. */
export class RpcMethods {
  #exact = new Map<string, RpcHandler>();
  // Prefix registrations ("chat.*"), longest first.
  #prefixes: [string, RpcHandler][] = [];

  /** `hub.rpc`: registers a method, or every method under a prefix when it ends with `*`. */
  register(method: string, handler: RpcHandler): void {
    const prefix = typeof method === "string" && method.endsWith("*")
      ? method.slice(0, -1)
      : undefined;
    if (
      typeof method !== "string" ||
      !(prefix === undefined
        ? RPC_METHOD_NAME.test(method)
        : /^[A-Za-z0-9_.:/-]{0,127}$/.test(prefix))
    ) {
      throw new TypeError(
        `Cannot register RPC method '${
          String(method).slice(0, 32)
        }': use 1 to 128 of letters, digits and '_.:/-'`,
      );
    }
    if (typeof handler !== "function") {
      throw new TypeError(
        `Cannot register RPC method '${method}': the handler is not a function`,
      );
    }
    if (this.#exact.has(method)) {
      throw new TypeError(`Cannot register RPC method '${method}': it is registered already`);
    }
    this.#exact.set(method, handler);
    if (prefix !== undefined) {
      this.#prefixes.push([prefix, handler]);
      this.#prefixes.sort((a, b) => b[0].length - a[0].length);
    }
  }

  /** The handler of a requested method, or `undefined` when none is registered. */
  find(method: string): RpcHandler | undefined {
    return this.#exact.get(method) ??
      this.#prefixes.find(([prefix]) => method.startsWith(prefix))?.[1];
  }
}
