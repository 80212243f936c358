// Serving an admin or metrics handler next to a real test hub, and calling it with fetch.

import assert from "node:assert/strict";
import { createAdminHandler } from "../../src/admin/handler.ts";
import type { AdminOptions } from "../../src/admin/options.ts";
import { createTokenVerifier } from "../../src/auth/verify.ts";
import { type MintOptions, mintToken } from "../../src/auth/mint.ts";
import type { HubOptions } from "../../src/hub/options.ts";
import type { LogEntry } from "../../src/hub/log.ts";
import { connectWelcomed, type TestSocket } from "../_support/client.ts";
import { startTestHub, type TestHub } from "../_support/hub.ts";

export const ADMIN_KEY = "admin-key-for-tests-0123456789abcdef";
/** Admin JWTs are signed with their own secret, not the hub's. */
export const ADMIN_SECRET = "admin-jwt-secret-of-at-least-32-bytes!!";

/** An admin JWT: with exp and the admin audience, as the admin API requires. */
export function adminToken(
  claims: { sub: string; roles?: string[] },
  options: MintOptions = {},
): Promise<string> {
  return mintToken(claims, { secret: ADMIN_SECRET }, {
    ttl: "1h",
    aud: "realtime-admin",
    ...options,
  });
}

export const adminVerifier = () => createTokenVerifier({ secret: ADMIN_SECRET });

export interface Served extends AsyncDisposable {
  base: string;
  close(): Promise<void>;
}

/** Serves a fetch handler on a free port of 127.0.0.1; `undefined` answers 418 "app". */
export function serveHandler(
  handler: (req: Request) => Promise<Response | undefined>,
): Served {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    async (req) => (await handler(req)) ?? new Response("app", { status: 418 }),
  );
  const close = () => server.shutdown();
  return {
    base: `http://127.0.0.1:${server.addr.port}`,
    close,
    [Symbol.asyncDispose]: close,
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  json: any;
  text: string;
}

export interface CallOptions {
  /** JSON-encoded unless a string. */
  body?: unknown;
  /** The bearer credential; `null` sends none. */
  credential?: string | null;
  headers?: Record<string, string>;
}

export async function call(
  base: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  const credential = options.credential === undefined ? ADMIN_KEY : options.credential;
  if (credential !== null) headers.authorization = `Bearer ${credential}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] = "application/json";
  }
  const res = await fetch(base + path, {
    method,
    headers: { ...headers, ...options.headers },
    body,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

export interface AdminFixture extends AsyncDisposable {
  h: TestHub;
  base: string;
  audit: LogEntry[];
  /** Opens an authenticated socket for `sub` with the given capabilities. */
  open(sub: string, acl?: Record<string, string[]>): Promise<TestSocket>;
  close(): Promise<void>;
}

export const CHAT = { "chat:*": ["subscribe", "publish"] };

/** A hub on the Deno transport with the admin handler served beside it. */
export async function startAdmin(
  options: Partial<AdminOptions> = {},
  hubOptions: Partial<HubOptions> = {},
): Promise<AdminFixture> {
  const h = await startTestHub("deno", hubOptions);
  const audit: LogEntry[] = [];
  const handler = createAdminHandler(h.hub, {
    apiKey: ADMIN_KEY,
    audit: (entry) => audit.push(entry),
    ...options,
  });
  const served = serveHandler(handler);
  const sockets: TestSocket[] = [];
  const close = async () => {
    for (const socket of sockets) await socket.close();
    await served.close();
    await h.close();
  };
  return {
    h,
    base: served.base,
    audit,
    async open(sub, acl = CHAT) {
      const [socket] = await connectWelcomed(h.url, {
        protocols: ["realtime.v1", "auth", await h.token({ sub, acl })],
      });
      sockets.push(socket);
      return socket;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * A cluster-wide admin answer of a hub alone on its own in-memory engine,
 * checked to be labelled so (`scope: "local"`, this hub answering, none
 * missing), without its labels.
 */
export function alone(json: Record<string, unknown>): Record<string, unknown> {
  assert.equal(json.scope, "local", JSON.stringify(json));
  assert.equal(typeof json.self, "string");
  const { scope: _s, self: _n, answered, answeredBy: _b, missing, nodes, ...rest } = json;
  if (answered !== undefined) {
    assert.equal(answered, 1);
    assert.deepEqual(missing, []);
    assert.deepEqual(Object.keys(nodes as object), [json.self]);
  }
  return rest;
}
