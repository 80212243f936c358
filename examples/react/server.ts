// deno-lint-ignore-file no-console
/**
 * Serves the React example next to a hub: the page at `/`, its scripts
 * (built ahead of time into `_scripts.generated.ts` by `deno task pages`),
 * the hub at `/ws`, and `/login?user=NAME`, which mints a development
 * token for NAME and sends the browser to `/#token=...` (the fragment never
 * reaches a server or a log). The hub answers the RPC method `test` (the
 * seed's `send('test', ...)`) by broadcasting a `notification` event to
 * every connected user (the seed's `on('notification', ...)`).
 *
 * ```sh
 * deno run --allow-net examples/react/server.ts   # then open http://127.0.0.1:8787/login?user=alice
 * ```
 *
 * `/login` hands a token to anyone who asks: it is for trying the example
 * on 127.0.0.1, never for a deployment.
 *
 * @module
 */

import { createHub, type Hub, type HubOptions } from "@realtime/hub";
import { mintToken } from "@realtime/hub/auth";
import { SCRIPTS } from "./_scripts.generated.ts";

/** Options of {@linkcode startExampleServer}. */
export interface ExampleServerOptions {
  /** The port; 0 picks a free one. @default {8787} */
  port?: number;
  /** The secret tokens are signed with. @default {a fixed development secret} */
  secret?: string;
  /**
   * The page's scripts by file name (`app.js` and its chunks), for a test
   * that runs another build (React's development build, which runs
   * StrictMode's double effects).
   *
   * @default {the committed build, `_scripts.generated.ts`}
   */
  scripts?: Readonly<Record<string, string>>;
  /**
   * Which topics keep history, for a test of `useHistory`.
   *
   * @default {[]}
   */
  history?: HubOptions["history"];
}

/** A running example server. */
export interface ExampleServer extends AsyncDisposable {
  /** The hub, to inspect its connections. */
  readonly hub: Hub;
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** Stops the server and the hub. */
  close(): Promise<void>;
}

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>@realtime/hub with React</title></head>
<body>
<div id="root"></div>
<ul id="toasts"></ul>
<script type="module" src="/app.js"></script>
</body>
</html>
`;

/** What a development token allows: the chat topics. */
const ACL = { "chat:*": ["subscribe", "publish", "presence", "history"] };

/**
 * Starts the example's server and hub on 127.0.0.1.
 *
 * @param options The port and the token secret.
 * @returns The running server.
 */
export function startExampleServer(options: ExampleServerOptions = {}): ExampleServer {
  const secret = options.secret ?? "an-example-development-secret-32-bytes";
  const scripts = options.scripts ?? SCRIPTS;
  const hub = createHub({ auth: { secret }, log: () => {}, history: options.history ?? [] });
  hub.rpc("test", ({ principal, data }) =>
    hub.broadcast({
      event: "notification",
      payload: {
        title: `${principal.sub} says`,
        message: String((data as { message?: unknown } | null)?.message ?? ""),
      },
    }).then((reached) => ({ reached })));
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 8787, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      if (url.pathname === "/ws") return hub.upgrade(req);
      if (url.pathname === "/") {
        return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
      }
      if (url.pathname === "/login") {
        const user = url.searchParams.get("user") ?? "";
        if (!/^[a-z0-9_-]{1,32}$/i.test(user)) {
          return new Response(`Cannot log in as '${user.slice(0, 32)}': use 1 to 32 of a-z0-9_-`, {
            status: 400,
          });
        }
        const token = await mintToken({ sub: user, acl: ACL }, { secret }, { ttl: "1h" });
        return new Response(null, { status: 303, headers: { location: `/#token=${token}` } });
      }
      const script = Object.hasOwn(scripts, url.pathname.slice(1))
        ? scripts[url.pathname.slice(1)]
        : undefined;
      if (script !== undefined) {
        return new Response(script, {
          headers: { "content-type": "text/javascript; charset=utf-8" },
        });
      }
      return new Response("Not found", { status: 404 });
    },
  );
  const close = async () => {
    await hub.close();
    await server.shutdown();
  };
  return {
    hub,
    origin: `http://127.0.0.1:${server.addr.port}`,
    close,
    [Symbol.asyncDispose]: close,
  };
}

if (import.meta.main) {
  const server = startExampleServer();
  console.log(`open ${server.origin}/login?user=alice and ${server.origin}/login?user=bob`);
}
