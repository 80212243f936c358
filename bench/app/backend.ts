/**
 * The application's backend for the handler benchmarks, as its own process:
 * the publish proxy's answer adds a server id to the payload (as the
 * in-process handler does), the connect proxy admits `cookie: user=<id>`.
 * Prints `READY <port>`; SIGTERM stops it.
 *
 * @module
 */

let next = 0;
const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
  const path = new URL(req.url).pathname;
  const body = await req.json();
  if (path === "/publish") {
    return Response.json({ result: { payload: { ...body.payload, id: ++next } } });
  }
  if (path === "/connect") {
    const user = /user=([\w-]+)/.exec(req.headers.get("cookie") ?? "")?.[1];
    return Response.json(user === undefined ? {} : { result: { user } });
  }
  return Response.json({});
});
Deno.stdout.writeSync(new TextEncoder().encode(`READY ${server.addr.port}\n`));
Deno.addSignalListener("SIGTERM", async () => {
  await server.shutdown();
  Deno.exit(0);
});
