/**
 * The ceiling on this runtime: a bare `Deno.upgradeWebSocket` pub/sub loop
 * speaking the hub's JSON frames (subscribe, publish, ack, message) with no
 * authentication, no ACL and no frame validation beyond `JSON.parse`. Prints
 * `READY <port>` once listening.
 *
 * With `--jwt` it also does what any authenticated server must, and nothing
 * more: it takes the token from the subprotocol list (`auth, <jwt>`),
 * verifies it with jose (HS256, key imported once, the hub's library),
 * answers `realtime.v1` and sends a `welcome` frame. The difference between
 * this and the hub is the hub's own cost per connection; the difference
 * between this and the plain loop is the cost of JWT verification itself.
 *
 * @module
 */

import { jwtVerify } from "jose";
import { BENCH_SECRET } from "../_config.ts";
import { createBareLoop } from "./_bare_loop.ts";

const jwt = Deno.args.includes("--jwt");
const key = jwt
  ? await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(BENCH_SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  )
  : undefined;
const loop = createBareLoop<WebSocket>();
let connections = 0;

/** The verified subject and expiry, or `undefined` to refuse with 401. */
async function authenticate(req: Request): Promise<{ sub: string; exp: number } | undefined> {
  const offered = (req.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
  const at = offered.indexOf("auth");
  if (at < 0 || at + 1 >= offered.length) return undefined;
  try {
    const { payload } = await jwtVerify(offered[at + 1], key!, { algorithms: ["HS256"] });
    return typeof payload.sub === "string"
      ? { sub: payload.sub, exp: payload.exp ?? 0 }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Upgrades and wires the socket; `identity` is set with `--jwt`. */
function upgrade(req: Request, identity: { sub: string; exp: number } | undefined): Response {
  const { socket, response } = Deno.upgradeWebSocket(req);
  const subscribed = new Set<string>();
  if (identity !== undefined) {
    // Set by hand: Deno answers 500 to `protocol` with a list written `a,b`.
    response.headers.set("sec-websocket-protocol", "realtime.v1");
    const welcome = JSON.stringify({
      type: "welcome",
      connectionId: `c${++connections}`,
      user: identity.sub,
      expiresAt: identity.exp * 1000,
    });
    socket.onopen = () => socket.send(welcome);
  }
  socket.onmessage = (event) => loop.onMessage(socket, subscribed, event.data);
  socket.onclose = () => loop.leave(socket, subscribed);
  socket.onerror = () => {};
  return response;
}

const notFound = () => new Response("not found", { status: 404 });
const isUpgrade = (req: Request) => req.headers.get("upgrade")?.toLowerCase() === "websocket";

const server = Deno.serve(
  {
    port: 0,
    hostname: "127.0.0.1",
    onListen: ({ port }) => {
      Deno.stdout.writeSync(new TextEncoder().encode(`READY ${port}\n`));
    },
  },
  // The plain loop stays a synchronous handler: the baseline pays for no promise.
  jwt
    ? async (req) => {
      if (!isUpgrade(req)) return notFound();
      const identity = await authenticate(req);
      return identity === undefined
        ? new Response("unauthorized", { status: 401 })
        : upgrade(req, identity);
    }
    : (req) => isUpgrade(req) ? upgrade(req, undefined) : notFound(),
);

Deno.addSignalListener("SIGTERM", async () => {
  await server.shutdown();
  Deno.exit(0);
});
