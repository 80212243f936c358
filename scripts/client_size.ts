// deno-lint-ignore-file no-console
/**
 * Prints what `RealtimeClient` costs a browser page: small programs are
 * bundled as the pages are (`deno bundle --minify`, code splitting, from the
 * locked sources): one that only subscribes, one that subscribes and
 * publishes, one that also signs and verifies, and one that uses every
 * React hook (with React's core, without `react-dom`). For each, what the page loads before its script runs
 * (the entry and its static imports) and what the first `sign` or `verify`
 * loads on top (the signing core and jose), minified and gzipped.
 *
 * ```sh
 * deno run --allow-run --allow-read --allow-write scripts/client_size.ts
 * ```
 *
 * `tests/scripts/client_size_test.ts` holds the budget.
 *
 * @module
 */

import { join } from "node:path";
import { bundleForBrowser, ROOT, staticClosure } from "./_bundle.ts";

/** Bytes of a set of files, minified and gzipped (each file on its own, as HTTP sends it). */
export interface Size {
  readonly minified: number;
  readonly gzip: number;
  /** The files counted. */
  readonly files: readonly string[];
}

/** A probe program's sizes. */
export interface ProbeSizes {
  /** The entry and what it imports statically: loaded before the script runs. */
  readonly start: Size;
  /** Everything the build holds: what the page loads once every dynamic import ran. */
  readonly all: Size;
  /** Every file's text, by name. */
  readonly texts: ReadonlyMap<string, string>;
}

const CLIENT = join(ROOT, "src/client/mod.ts");
const REACT = join(ROOT, "src/react/mod.ts");

/** The probe programs: what an application imports and calls. */
export const PROBES: Readonly<Record<string, string>> = {
  subscribeOnly: `import { RealtimeClient } from ${JSON.stringify(CLIENT)};
const rt = new RealtimeClient({ url: "/ws", token: "a.b.c" });
rt.subscribe("chat:lobby", (message) => console.log(message.payload));
`,
  subscriber: `import { RealtimeClient } from ${JSON.stringify(CLIENT)};
const rt = new RealtimeClient({ url: "/ws", token: "a.b.c" });
rt.subscribe("chat:lobby", (message) => console.log(message.payload));
await rt.publish("chat:lobby", "hello");
`,
  signer: `import { RealtimeClient } from ${JSON.stringify(CLIENT)};
const key = "a publication secret of at least 32 bytes";
const rt = new RealtimeClient({ url: "/ws", token: "a.b.c" });
rt.subscribe("prices:eur", (message) => console.log(message.payload), { verify: key });
await rt.publish("prices:eur", 1.08, { sign: key });
`,
  // Every hook under a provider, and React's core; without react-dom, which
  // the application brings whatever realtime library it uses.
  react: `import { createElement } from "react";
import * as bindings from ${JSON.stringify(REACT)};
function Room() {
  const { isConnected } = bindings.useRealtime();
  const { messages } = bindings.useSubscription("chat:lobby");
  const { members } = bindings.usePresence("chat:lobby");
  const { publications } = bindings.useHistory("chat:lobby");
  const publish = bindings.usePublish();
  const rpc = bindings.useRpc();
  return [isConnected, messages, members, publications, publish, rpc];
}
console.log(createElement(bindings.RealtimeProvider, { url: "/ws", token: "a.b.c" }, createElement(Room)));
`,
};

async function gzipSize(text: string): Promise<number> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

async function size(texts: ReadonlyMap<string, string>, files: readonly string[]): Promise<Size> {
  let minified = 0;
  let gzip = 0;
  for (const file of files) {
    const text = texts.get(file) ?? "";
    minified += new TextEncoder().encode(text).byteLength;
    gzip += await gzipSize(text);
  }
  return { minified, gzip, files };
}

/**
 * Bundles one probe and measures it.
 *
 * @param name A key of {@linkcode PROBES}.
 * @returns Its sizes.
 */
export async function measureProbe(name: string): Promise<ProbeSizes> {
  const dir = await Deno.makeTempDir({ prefix: "realtime-client-size-" });
  try {
    const entry = join(dir, `${name}.ts`);
    await Deno.writeTextFile(entry, PROBES[name]);
    const texts = await bundleForBrowser(entry, `${name}.js`);
    return {
      start: await size(texts, staticClosure(texts, `${name}.js`)),
      all: await size(texts, [...texts.keys()]),
      texts,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`.padStart(9);
}

if (import.meta.main) {
  const subscribeOnly = await measureProbe("subscribeOnly");
  const subscriber = await measureProbe("subscriber");
  const signer = await measureProbe("signer");
  const react = await measureProbe("react");
  const rows: [string, number, number][] = [
    ["subscribe only: all it loads", subscribeOnly.start.minified, subscribeOnly.start.gzip],
    ["subscribe and publish: all it loads", subscriber.start.minified, subscriber.start.gzip],
    ["with sign and verify: loaded with the page", signer.start.minified, signer.start.gzip],
    [
      "  then on the first sign or verify",
      signer.all.minified - signer.start.minified,
      signer.all.gzip - signer.start.gzip,
    ],
    ["  in all", signer.all.minified, signer.all.gzip],
    ["React bindings, every hook, with react", react.start.minified, react.start.gzip],
  ];
  console.log("RealtimeClient in a browser page (deno bundle --minify, code splitting)");
  console.log(
    `${"".padEnd(44)} ${"minified".padStart(9)} ${"gzip".padStart(9)} ${"gzip B".padStart(7)}`,
  );
  for (const [label, minified, gzip] of rows) {
    console.log(`${label.padEnd(44)} ${kb(minified)} ${kb(gzip)} ${String(gzip).padStart(7)}`);
  }
}
