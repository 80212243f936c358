/**
 * The WebSocket transport adapter on `node:http` (named `ws` after the npm
 * package it used until its own framing, `_ws_socket.ts`, cost less memory
 * per idle connection): it enforces the message size bound while receiving
 * (close 1009 without buffering the whole message), parses subprotocol
 * lists per RFC 7230, and also runs on Node.
 *
 * @module
 */

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { getRequestListener } from "@hono/node-server";
import type { Accepted, ConnInfo, UpgradeTarget } from "../hub/transport.ts";
import { badRequest, handshakeProblem } from "./_upgrade_request.ts";
import { NodeUpgradeRequest } from "./_node_upgrade_request.ts";
import type { FrameLimits } from "./_ws_frames.ts";
import { OpenSockets, ServerWebSocket, switchingProtocols } from "./_ws_socket.ts";
import { foreignHostResponse, isLoopbackHost } from "./loopback_host.ts";

/** Options of {@linkcode listenNode}. */
export interface NodeListenOptions {
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
   * Which paths upgrade to the hub.
   *
   * @default {"/ws"}
   */
  path?: string;
  /** Plain HTTP requests go here, with the socket peer as `info`; 404 when absent. */
  fetch?: (req: Request, info: ConnInfo) => Response | Promise<Response>;
  /**
   * Answer 403 to a WebSocket upgrade whose `Host` is not a loopback name
   * (see `ServeOptions.requireLoopbackHost`; `fetch` applies it to plain
   * HTTP itself).
   *
   * @default {false}
   */
  requireLoopbackHost?: boolean;
  /**
   * Most fragments in one message.
   *
   * @default {1024}
   */
  maxFragments?: number;
}

/** A listening `node:http` server. */
export interface NodeListener extends AsyncDisposable {
  /** The bound port. */
  readonly port: number;
  /** The bound hostname. */
  readonly hostname: string;
  /** Stops listening and destroys open sockets. */
  close(): Promise<void>;
}

/**
 * Serves a hub over WebSocket on a `node:http` server, with the adapter's own
 * RFC 6455 framing.
 *
 * @param hub The hub.
 * @param options Where to listen and what serves plain HTTP.
 * @returns The listener, once it is bound.
 *
 * @example Listen on a free port
 * ```ts
 * import { createHub } from "@realtime/hub";
 * import { listenNode } from "@realtime/hub/server";
 *
 * const hub = createHub({ auth: { secret: "a-development-secret-of-32-bytes!!" } });
 * const server = await listenNode(hub, { port: 0 });
 * await server.close();
 * await hub.close();
 * ```
 */
export async function listenNode(
  hub: UpgradeTarget,
  options: NodeListenOptions = {},
): Promise<NodeListener> {
  const path = options.path ?? "/ws";
  const hostname = options.hostname ?? "127.0.0.1";
  // One object for every socket's parser: an idle connection keeps a reference, not a copy.
  const limits: FrameLimits = {
    maxPayload: hub.limits.maxFrameBytes,
    maxFragments: options.maxFragments ?? 1024,
  };
  const fetch = options.fetch ??
    (() => Response.json({ code: "BAD_REQUEST", message: "Not found" }, { status: 404 }));
  // A library must not replace the global Request/Response (Deno.serve rejects foreign ones).
  const server: Server = createServer(
    getRequestListener(
      (req, env) => fetch(req, { ...peerOf(env.incoming.socket), transport: "ws" }),
      { overrideGlobalObjects: false },
    ),
  );
  /** Upgraded sockets, until their close event. */
  const clients = new OpenSockets();
  /** Sockets not yet upgraded (or refused). */
  const sockets = new Set<Duplex>();
  // Listeners shared by every socket (`this` is the socket): none is a
  // closure of its own, which an idle connection would hold.
  function forget(this: Duplex): void {
    sockets.delete(this);
  }
  function attach(socket: Duplex, head: Buffer, admission: Accepted, key: string): void {
    // The WebSocket owns the socket now (it listens for its errors and its
    // close): the adapter's own listeners and its slot in `sockets` go.
    socket.off("error", ignore);
    socket.off("close", forget);
    sockets.delete(socket);
    forgetPeerAddress(socket);
    socket.write(switchingProtocols(key, admission.protocol));
    const ws = new ServerWebSocket(socket, head, limits);
    compactListeners(socket);
    const handler = hub.connect(ws, admission);
    ws.events = handler;
    clients.add(ws);
    handler.open();
  }

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Without an error listener a reset socket would crash the process.
    socket.on("error", ignore);
    sockets.add(socket);
    socket.on("close", forget);
    // Host and request target are the client's words: a malformed one
    // (`Host: x:99999`, `GET //`) is answered 400, never left open.
    const url = parseUrl(req.url, hostOf(req));
    if (url === undefined) {
      hub.malformedUpgrade?.("target", peerOf(socket));
      return refuse(socket, "Malformed request target or Host header");
    }
    if (options.requireLoopbackHost === true && !isLoopbackHost(url.host)) {
      void writeResponse(socket, foreignHostResponse(url.host)).catch(() => socket.destroy());
      return;
    }
    if (url.pathname !== path) {
      writeResponse(
        socket,
        Response.json({ code: "BAD_REQUEST", message: "Not found" }, { status: 404 }),
      );
      return;
    }
    const h = req.headers;
    const problem = req.httpVersion !== "1.1"
      ? `A WebSocket upgrade needs HTTP/1.1, got HTTP/${req.httpVersion}`
      : handshakeProblem(
        req.method,
        h.upgrade,
        h["sec-websocket-key"],
        h["sec-websocket-version"],
      );
    if (problem !== undefined) {
      hub.malformedUpgrade?.("handshake", peerOf(socket));
      return refuse(socket, problem);
    }
    // Node parsed the request already: the hub reads it through a view, and a
    // fetch `Request` (URL parse, every header validated again) is built only
    // for an `authenticate` hook.
    const request = new NodeUpgradeRequest(req, url.href);
    void hub.admit(request, { remoteAddr: req.socket.remoteAddress, transport: "ws" }).then(
      (admission) => {
        if (!admission.ok) return writeResponse(socket, admission.response);
        // Gone while the hub decided (the peer reset it): nothing to upgrade.
        if (!socket.writable) return void socket.destroy();
        attach(socket, head, admission, h["sec-websocket-key"] as string);
      },
    ).catch(() =>
      writeResponse(
        socket,
        Response.json({ code: "INTERNAL", message: "Upgrade failed" }, { status: 500 }),
      )
    );
  });
  // What node:http cannot parse (garbage, oversized headers) gets 400 and is released.
  server.on("clientError", (error: Error & { code?: string }, socket: Duplex) => {
    socket.on("error", ignore);
    // A peer that reset the connection is gone: nothing to answer or count.
    if (error.code === "ECONNRESET") return void socket.destroy();
    hub.malformedUpgrade?.("http", peerOf(socket));
    refuse(socket, "Malformed HTTP request");
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8000, hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // Heartbeat: a peer that did not answer the previous ping is terminated,
  // so a dead peer (half-open TCP) goes within two intervals.
  const heartbeat = setInterval(() => {
    for (const client of clients) {
      if (!client.alive) {
        client.terminate();
        continue;
      }
      client.alive = false;
      client.ping();
    }
  }, hub.limits.heartbeatMs);

  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;

  const close = async () => {
    clearInterval(heartbeat);
    for (const client of clients) client.terminate();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return { port, hostname, close, [Symbol.asyncDispose]: close };
}

function ignore(): void {}

/**
 * A prototype with no keys: an object made from it inherits nothing (an
 * event named `toString` finds no listener) yet starts in V8's fast mode,
 * which an `Object.create(null)` object never is.
 */
const NO_KEYS: object = Object.freeze(Object.create(null));

/** An EventEmitter's listener table, by event name (`_events`, as Node and Deno keep it). */
interface Listeners {
  _events?: Record<string | symbol, unknown>;
}

/**
 * Rebuilds a socket's listener table once the upgrade is done, with only
 * its live entries, in V8's fast mode. node:http's and the adapter's
 * listeners come and go during the upgrade, and each removal leaves the
 * table a dictionary: about 470 bytes on every idle connection, against
 * under 100 for the events the WebSocket listens to. The table is the same
 * listeners under the same names, so the socket behaves as before.
 */
function compactListeners(socket: Duplex): void {
  const events = (socket as unknown as Listeners)._events;
  if (events === undefined || Object.getPrototypeOf(events) === NO_KEYS) return;
  const compact: Record<string | symbol, unknown> = Object.create(NO_KEYS);
  for (const name of Reflect.ownKeys(events)) {
    if (events[name] !== undefined) compact[name] = events[name];
  }
  (socket as unknown as Listeners)._events = compact;
}

/** Where node:net caches a socket's peer address once it was read (`remoteAddress`). */
interface PeerCache {
  _peername?: unknown;
}

/**
 * Drops the peer address node:net cached on the socket when the admission
 * read `remoteAddress`: an object of about 80 bytes that every idle
 * connection would keep, for an address the session holds as a string.
 * Read again, the address is asked of the socket's handle and cached anew.
 */
function forgetPeerAddress(socket: Duplex): void {
  const cache = socket as unknown as PeerCache;
  // Only a socket that has the slot: adding one would cost more than it saves.
  if (cache._peername !== undefined) cache._peername = undefined;
}

async function writeResponse(socket: Duplex, response: Response): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  let head = `HTTP/1.1 ${response.status} ${
    response.statusText || statusText(response.status)
  }\r\n`;
  response.headers.forEach((value, name) => {
    if (name !== "content-length" && name !== "connection") head += `${name}: ${value}\r\n`;
  });
  head += `content-length: ${body.byteLength}\r\nconnection: close\r\n\r\n`;
  if (socket.destroyed) return;
  socket.end(concat(new TextEncoder().encode(head), body));
  // A peer that never closes its side must not hold the descriptor.
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  socket.once("close", () => clearTimeout(timer));
}

/** How long a refused socket may linger after its answer before it is destroyed. */
const LINGER_MS = 2000;

function refuse(socket: Duplex, message: string): void {
  void writeResponse(socket, badRequest(message)).catch(() => socket.destroy());
}

function peerOf(socket: Duplex): ConnInfo {
  return { remoteAddr: (socket as { remoteAddress?: string }).remoteAddress };
}

/** The one Host of a request; `undefined` when absent, empty or repeated (RFC 9112 §3.2). */
function hostOf(req: IncomingMessage): string | undefined {
  let host: string | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length !== 4 || raw[i].toLowerCase() !== "host") continue;
    if (host !== undefined) return undefined;
    host = raw[i + 1];
  }
  return host;
}

/** The request URL, or `undefined` when the target or Host cannot form one. */
function parseUrl(target: string | undefined, host: string | undefined): URL | undefined {
  // HTTP/1.1 requires a Host; `//x` would read as a host and `*` is no path.
  if (!host || target === undefined || target.startsWith("//") || target === "*") return undefined;
  try {
    return new URL(target, `http://${host}`);
  } catch {
    return undefined;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

function statusText(status: number): string {
  const texts: Record<number, string> = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    426: "Upgrade Required",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
  };
  return texts[status] ?? "Error";
}
