// deno-lint-ignore-file no-console
/**
 * Live heap per idle connection, by owner, on a real hub process: the
 * benchmark hub (`bench/servers/hub.ts`, HS256, the ten rules) on one
 * transport, N authenticated connections subscribed to a topic each from the
 * Node load generator, a heap snapshot (V8 collects garbage first), 2N more,
 * another snapshot; each figure is (at 3N - at N) / 2N, so what a process
 * holds once (code, caches, the first connections' lazy set-up) drops out.
 *
 * Every heap object is charged to an owner: an object (by its constructor
 * name) owns itself and what only it reaches first, breadth first, through
 * strong edges (its property and element stores, its closures' contexts, its
 * strings); "owner group" sums the owners the hub's own classes (found in
 * `src/`), `ws` and the rest (Deno's runtime and Node-compat layer: sockets,
 * streams, TCP handles; and plain objects and arrays) stand for. Plain
 * `Object`s and `Array`s are everyone's (claims, principals, listener
 * lists): the owner table says how many there are per connection.
 *
 * ```sh
 * deno run --allow-all bench/heap_breakdown.ts            # ws transport, N = 2000
 * deno run --allow-all bench/heap_breakdown.ts deno 1000  # the Deno transport, N = 1000
 * ```
 *
 * @module
 */

import { mintTokensFile } from "./_tokens.ts";
import { startProcess, waitForLine } from "./_proc.ts";

const transport = Deno.args[0] ?? "ws";
const n = Number(Deno.args[1] ?? 2000);
if (transport !== "ws" && transport !== "deno") throw new TypeError("Transport: ws or deno");
if (!Number.isInteger(n) || n < 1) throw new RangeError(`Connections: ${Deno.args[1]}`);

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const WS_CLASSES = new Set([
  "WebSocket",
  "Receiver",
  "Sender",
  "WebSocketServer",
  "PerMessageDeflate",
  "HubWebSocket",
]);

/** Self size and count per owner name. */
type ByOwner = Map<string, { bytes: number; objects: number }>;

async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "bench-heap-" });
  const tokensFile = await mintTokensFile(3 * n, "bench-heap-tokens-");
  const server = await startProcess(
    Deno.execPath(),
    [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      `--allow-write=${dir}`,
      "bench/servers/hub.ts",
      transport,
    ],
    { cwd: ROOT, env: { BENCH_HEAP_SNAPSHOTS: dir }, stderrFile: `${dir}/server.log` },
  );
  const snapshots: string[] = [];
  try {
    const port = await waitForLine(server, "READY ", 20_000);
    if (port === undefined) throw new Error("The hub did not print READY");
    const config = `${dir}/load.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        protocol: "hub",
        url: `ws://127.0.0.1:${port}/ws`,
        scenario: "heap_probe",
        params: { connections: n, concurrency: 200 },
        setupConcurrency: 200,
        timeoutMs: 300_000,
        tokensFile,
      }),
    );
    await using load = await startProcess(
      "node",
      [`${ROOT}/bench/node/load/main.mjs`, config],
      { stderrFile: `${dir}/load.log` },
    );
    while (true) {
      const line = await load.nextLine(300_000);
      if (line === undefined) throw new Error(`The load generator stopped (see ${dir}/load.log)`);
      if (line.startsWith("RESULT ")) {
        const result = JSON.parse(line.slice(7));
        if (typeof result.failed === "string") throw new Error(result.failed);
        break;
      }
      if (!line.startsWith("MARK ")) continue;
      Deno.kill(server.pid, "SIGUSR2");
      const path = await waitForLine(server, "SNAPSHOT ", 300_000);
      if (path === undefined) throw new Error("The hub wrote no heap snapshot");
      snapshots.push(path);
      console.error(`${line.slice(5)}: ${path}`);
      await load.writeLine("ok");
    }
  } finally {
    await server.stop();
    await Deno.remove(tokensFile).catch(() => {});
  }
  const hubClasses = await hubClassNames(`${ROOT}/src`);
  const [atN, at3N] = [await owners(snapshots[0]), await owners(snapshots[1])];
  report(atN, at3N, hubClasses);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

/** Charges every live object's self size to its owner, breadth first from the objects. */
async function owners(path: string): Promise<ByOwner> {
  const snapshot = JSON.parse(await Deno.readTextFile(path));
  const meta = snapshot.snapshot.meta;
  const nodeFields: string[] = meta.node_fields;
  const edgeFields: string[] = meta.edge_fields;
  const nodeTypes: string[] = meta.node_types[0];
  const edgeTypes: string[] = meta.edge_types[0];
  const nodes: number[] = snapshot.nodes;
  const edges: number[] = snapshot.edges;
  const strings: string[] = snapshot.strings;
  const nf = nodeFields.length;
  const ef = edgeFields.length;
  const [typeAt, nameAt, sizeAt, edgeCountAt] = ["type", "name", "self_size", "edge_count"].map(
    (f) => nodeFields.indexOf(f),
  );
  const [edgeTypeAt, toAt] = ["type", "to_node"].map((f) => edgeFields.indexOf(f));
  const count = nodes.length / nf;
  const firstEdge = new Uint32Array(count + 1);
  for (let i = 0; i < count; i++) firstEdge[i + 1] = firstEdge[i] + nodes[i * nf + edgeCountAt];
  const owner = new Int32Array(count).fill(-1);
  const queue: number[] = [];
  const isOwner = (type: string) => type === "object" || type === "native";
  for (let i = 0; i < count; i++) {
    if (isOwner(nodeTypes[nodes[i * nf + typeAt]])) {
      owner[i] = i;
      queue.push(i);
    }
  }
  const weak = new Set(["weak", "shortcut"].map((t) => edgeTypes.indexOf(t)));
  // A plain Object or Array is named by what first holds it ("Object <- Session.principal").
  const edgeNameAt = edgeFields.indexOf("name_or_index");
  const nameable = new Set(
    ["property", "element", "internal", "context"].map((t) => edgeTypes.indexOf(t)),
  );
  const holder = new Int32Array(count).fill(-1);
  const holderEdge = new Int32Array(count).fill(-1);
  for (let from = 0; from < count; from++) {
    for (let e = firstEdge[from]; e < firstEdge[from + 1]; e++) {
      const type = edges[e * ef + edgeTypeAt];
      if (!nameable.has(type)) continue;
      const to = edges[e * ef + toAt] / nf;
      if (holder[to] !== -1) continue;
      holder[to] = from;
      holderEdge[to] = e;
    }
  }
  const plainName = (i: number, name: string): string => {
    const from = holder[i];
    if (from === -1) return name;
    const e = holderEdge[i];
    const type = edgeTypes[edges[e * ef + edgeTypeAt]];
    const edgeName = type === "element" ? "[]" : strings[edges[e * ef + edgeNameAt]];
    let parent = strings[nodes[from * nf + nameAt]].split(" ")[0];
    if (parent === "Object" || parent === "Array" || parent === "system") {
      // One more step up: which object's plain object.
      const up = holder[from];
      if (up !== -1) parent = `${strings[nodes[up * nf + nameAt]].split(" ")[0]}…${parent}`;
    }
    // V8's own roots ("(Global handles)") and numbered slots name nothing stable.
    if (parent.startsWith("(") || /^\d+$/.test(edgeName)) return `${name} <- ${parent}`;
    return `${name} <- ${parent}.${edgeName}`;
  };
  for (let head = 0; head < queue.length; head++) {
    const from = queue[head];
    for (let e = firstEdge[from]; e < firstEdge[from + 1]; e++) {
      if (weak.has(edges[e * ef + edgeTypeAt])) continue;
      const to = edges[e * ef + toAt] / nf;
      if (owner[to] !== -1) continue;
      owner[to] = owner[from];
      queue.push(to);
    }
  }
  const byOwner: ByOwner = new Map();
  for (let i = 0; i < count; i++) {
    const o = owner[i];
    if (o === -1) continue;
    const name = strings[nodes[o * nf + nameAt]];
    const base = name.startsWith("system /")
      ? name.replace(/ @\d+$/, "")
      : name.split(" ")[0] || "(anonymous)";
    const key = base === "Object" || base === "Array" ? plainName(o, base) : base;
    let entry = byOwner.get(key);
    if (entry === undefined) byOwner.set(key, entry = { bytes: 0, objects: 0 });
    entry.bytes += nodes[i * nf + sizeAt];
    if (o === i) entry.objects++;
  }
  return byOwner;
}

/** Class names declared in the hub's sources. */
async function hubClassNames(dir: string): Promise<Set<string>> {
  const names = new Set<string>();
  const walk = async (path: string) => {
    for await (const entry of Deno.readDir(path)) {
      const child = `${path}/${entry.name}`;
      if (entry.isDirectory) await walk(child);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
        for (const m of (await Deno.readTextFile(child)).matchAll(/\bclass (\w+)/g)) {
          names.add(m[1]);
        }
      }
    }
  };
  await walk(dir);
  // ws's own classes share names with none of the hub's but WebSocket.
  for (const name of WS_CLASSES) names.delete(name);
  return names;
}

function report(atN: ByOwner, at3N: ByOwner, hubClasses: Set<string>): void {
  const rows: { name: string; bytes: number; objects: number }[] = [];
  const none = { bytes: 0, objects: 0 };
  for (const name of new Set([...atN.keys(), ...at3N.keys()])) {
    const before = atN.get(name) ?? none;
    const after = at3N.get(name) ?? none;
    rows.push({
      name,
      bytes: (after.bytes - before.bytes) / (2 * n),
      objects: (after.objects - before.objects) / (2 * n),
    });
  }
  rows.sort((a, b) => b.bytes - a.bytes);
  const total = rows.reduce((sum, r) => sum + r.bytes, 0);
  const group = (name: string) =>
    hubClasses.has(name)
      ? "hub"
      : transport === "ws" && WS_CLASSES.has(name)
      ? "ws"
      : name.startsWith("Object") || name.startsWith("Array")
      ? "plain objects and arrays"
      : "runtime (Deno, Node-compat, sockets)";
  const groups = new Map<string, number>();
  for (const r of rows) groups.set(group(r.name), (groups.get(group(r.name)) ?? 0) + r.bytes);
  const lines = [
    `Live heap per idle subscribed connection, ${transport} transport: ` +
    `(heap at ${3 * n} - at ${n}) / ${2 * n}, from heap snapshots`,
    "",
    `| owner group | bytes/connection |`,
    `| --- | ---: |`,
    ...[...groups].sort((a, b) => b[1] - a[1]).map(([g, b]) => `| ${g} | ${b.toFixed(0)} |`),
    `| **total** | **${total.toFixed(0)}** |`,
    "",
    `| owner (constructor) | group | bytes/connection | objects/connection |`,
    `| --- | --- | ---: | ---: |`,
    ...rows.filter((r) => Math.abs(r.bytes) >= 8).slice(0, 50).map((r) =>
      `| ${r.name} | ${group(r.name)} | ${r.bytes.toFixed(0)} | ${r.objects.toFixed(2)} |`
    ),
  ];
  console.log(lines.join("\n"));
}

await main();
