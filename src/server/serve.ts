/**
 * Listening on a port with either transport adapter.
 *
 * @module
 */

import type { Hub } from "../hub/hub.ts";
import type { ConnInfo } from "../hub/transport.ts";
import { badRequest } from "./_upgrade_request.ts";
import { foreignHostResponse, isLoopbackHost } from "./loopback_host.ts";

/** Which transport adapter serves WebSocket upgrades. */
export type Transport = "ws" | "deno";

/** Options of {@linkcode serve}. */
export interface ServeOptions {
  /**
   * Port; 0 picks a free one.
   *
   * @default {8000}
   */
  port?: number;
  /**
   * Interface to bind.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * `"ws"` (npm `ws` on `node:http`, enforces the frame size bound while
   * receiving) or `"deno"` (`Deno.upgradeWebSocket`). npm `ws` and
   * `@hono/node-server` are imported on the first `"ws"` serve, so a
   * `"deno"` server never loads them.
   *
   * @default {"ws"}
   */
  transport?: Transport;
  /**
   * Path that upgrades to the hub.
   *
   * @default {"/ws"}
   */
  path?: string;
  /**
   * Path of the SSE door (`hub.sse`): streams at the path, a stream's
   * requests at `<path>/<connectionId>`; `false` to leave it unmounted.
   *
   * @default {"/sse"}
   */
  ssePath?: string | false;
  /**
   * Path of HTTP publish (`hub.httpPublish`), or `false` to leave it unmounted.
   *
   * @default {"/publish"}
   */
  publishPath?: string | false;
  /**
   * Serves every other request; a JSON 404 when absent. `info` is the
   * socket peer on both transports, for per-IP accounting (read it with
   * `createClientAddress` to apply the hub's `trustProxy`).
   */
  fetch?: (req: Request, info: ConnInfo) => Response | Promise<Response>;
  /**
   * Answer 403 `FORBIDDEN` to every request, WebSocket upgrades included,
   * whose `Host` is not `localhost`, `127.0.0.1` or `[::1]` (any port): a
   * development server's defence against DNS rebinding, since a page on an
   * attacker's name that resolves to 127.0.0.1 sends its own name as `Host`.
   *
   * @default {false}
   */
  requireLoopbackHost?: boolean;
}

/** A listening server. */
export interface Server extends AsyncDisposable {
  /** The bound port. */
  readonly port: number;
  /** The bound hostname. */
  readonly hostname: string;
  /** The transport in use. */
  readonly transport: Transport;
  /** Stops listening. Close the hub first to send 1001 to clients. */
  close(): Promise<void>;
}

/**
 * Serves a hub on a port.
 *
 * @param hub The hub.
 * @param options Port, interface, transport and the plain HTTP handler.
 * @returns The server, once it listens.
 *
 * @example Serve on a free port with the Deno adapter
 * ```ts
 * import { createHub } from "@realtime/hub";
 * import { serve } from "@realtime/hub/server";
 *
 * const hub = createHub({ auth: { secret: "a-development-secret-of-32-bytes!!" } });
 * const server = await serve(hub, { port: 0, transport: "deno" });
 * await hub.close();
 * await server.close();
 * ```
 */
export async function serve(hub: Hub, options: ServeOptions = {}): Promise<Server> {
  const transport = options.transport ?? "ws";
  const path = options.path ?? "/ws";
  const hostname = options.hostname ?? "127.0.0.1";
  const loopbackOnly = options.requireLoopbackHost === true;
  const other = options.fetch ??
    (() => Response.json({ code: "BAD_REQUEST", message: "Not found" }, { status: 404 }));
  const ssePath = options.ssePath ?? "/sse";
  const publishPath = options.publishPath ?? "/publish";
  // The HTTP doors share the port, and the loopback check, with the application.
  const app = (req: Request, info: ConnInfo) => {
    const pathname = new URL(req.url).pathname;
    if (pathname === ssePath || (ssePath !== false && pathname.startsWith(`${ssePath}/`))) {
      return hub.sse(req, info);
    }
    if (pathname === publishPath) return hub.httpPublish(req, info);
    return other(req, info);
  };
  const fetch = loopbackOnly
    ? (req: Request, info: ConnInfo) => {
      const host = req.headers.get("host");
      return isLoopbackHost(host) ? app(req, info) : foreignHostResponse(host);
    }
    : app;
  // Before listening: the first clients of a fresh process (after a deploy,
  // all of them at once) would otherwise pay for compiling the hot paths.
  await hub.warmUp();
  if (transport === "ws") {
    // Loaded here, not at the top: npm `ws` and `@hono/node-server` cost a
    // Deno-transport server ~20 MiB of RSS and start-up time it never uses.
    const { listenNode } = await import("./node_adapter.ts");
    // Plain HTTP on the WebSocket path reaches the hub, which answers 426.
    const listener = await listenNode(hub, {
      port: options.port ?? 8000,
      hostname,
      path,
      requireLoopbackHost: loopbackOnly,
      fetch: (req, info) =>
        new URL(req.url).pathname === path ? hub.handler(req) : fetch(req, info),
    });
    return {
      port: listener.port,
      hostname,
      transport,
      close: listener.close,
      [Symbol.asyncDispose]: listener.close,
    };
  }
  if (transport !== "deno") {
    throw new TypeError(`Cannot serve with transport '${transport}': use "ws" or "deno"`);
  }
  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve(
    { port: options.port ?? 8000, hostname, onListen: (addr) => resolve(addr as Deno.NetAddr) },
    (req, info) => {
      // The URL is built from the client's Host and target: either may be
      // malformed. Parsed once here (every upgrade comes this way).
      const url = URL.parse(req.url);
      if (url === null) {
        hub.malformedUpgrade("target", { remoteAddr: info.remoteAddr.hostname });
        return badRequest("Malformed request target or Host header");
      }
      if (loopbackOnly && !isLoopbackHost(url.host)) return foreignHostResponse(url.host);
      return url.pathname === path ? hub.upgrade(req, info) : fetch(req, info);
    },
  );
  const addr = await listening;
  const close = async () => {
    await server.shutdown();
  };
  return { port: addr.port, hostname, transport, close, [Symbol.asyncDispose]: close };
}
