// A Deno-transport server never loads npm `ws` or `@hono/node-server`:
// `serve` imports the node adapter only for transport "ws". Read from
// Deno's module graph, following static imports only (a dynamic import
// loads nothing until it runs).

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

interface GraphModule {
  specifier: string;
  dependencies?: { isDynamic?: boolean; code?: { specifier: string } }[];
}

/** The modules `entry` loads before any of its code runs, and the dynamic imports seen. */
async function staticGraphOf(entry: string): Promise<{ loaded: string[]; dynamic: string[] }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    roots: string[];
    modules: GraphModule[];
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const loaded = new Set<string>();
  const dynamic: string[] = [];
  const pending = [...info.roots];
  while (pending.length > 0) {
    const specifier = pending.pop()!;
    if (loaded.has(specifier)) continue;
    loaded.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dep.code === undefined) continue;
      if (dep.isDynamic) dynamic.push(dep.code.specifier);
      else pending.push(dep.code.specifier);
    }
  }
  return { loaded: [...loaded], dynamic };
}

const NODE_TRANSPORT = [/^npm:\/?ws@/, /^npm:\/?@hono\/node-server@/, /\/node_adapter\.ts$/];

for (const entry of ["src/server/serve.ts", "src/server/main.ts", "bench/servers/hub.ts"]) {
  Deno.test(`${entry} loads the node transport only when transport "ws" is served`, async () => {
    const { loaded, dynamic } = await staticGraphOf(entry);
    assert.ok(loaded.some((m) => m.endsWith("/src/server/serve.ts")), "the graph was not read");
    const heavy = loaded.filter((m) => NODE_TRANSPORT.some((re) => re.test(m)));
    assert.deepEqual(heavy, [], `${entry} loads at start: ${heavy.join(", ")}`);
    // Still reachable: serve imports it when asked for the ws transport.
    assert.ok(dynamic.some((m) => m.endsWith("/src/server/node_adapter.ts")), dynamic.join("\n"));
  });
}

Deno.test("serve still serves the ws transport, loading its adapter on demand", async () => {
  const { createHub } = await import("../../src/server/create_hub.ts");
  const { serve } = await import("../../src/server/serve.ts");
  const hub = createHub({ auth: { secret: "a-development-secret-of-32-bytes!!" } });
  const server = await serve(hub, { port: 0, transport: "ws" });
  try {
    assert.equal(server.transport, "ws");
    // The ws adapter answers plain HTTP on the hub's path with the hub's 426.
    const res = await fetch(`http://127.0.0.1:${server.port}/ws`);
    await res.body?.cancel();
    assert.equal(res.status, 426);
  } finally {
    await hub.close();
    await server.close();
  }
});
