/**
 * Serving a page's prebuilt scripts: the one the page loads and the chunks
 * it imports on demand (the signing code, say). They are built ahead of
 * time from the locked sources by `scripts/build_pages.ts` into a generated
 * module, so nothing is bundled, fetched or compiled at run time: a hub
 * serves its pages from any working directory, offline, without unstable
 * flags. Chunk names carry a hash of the whole build, so chunks are cached
 * for good; the entry keeps its name and is revalidated by its ETag.
 *
 * @module
 */

/** A page's scripts by file name, as a generated `_scripts.generated.ts` exports them. */
export type PageScripts = Readonly<Record<string, string>>;

/** Options of {@linkcode createPageScripts}. */
export interface PageScriptsOptions {
  /** Loads the scripts; called once, on the first request for one. */
  load: () => Promise<PageScripts>;
  /** The file name of the script the page itself loads, such as `demo.js`. */
  entry: string;
  /** Headers every script response carries (the page's CSP...). */
  headers: Readonly<Record<string, string>>;
  /** What the scripts are, for the message shown when they cannot be loaded. */
  what: string;
}

/** Answers a GET or HEAD for one script by file name; `undefined` for an unknown name. */
export type PageScriptServer = (name: string, req: Request) => Promise<Response | undefined>;

const NAME_RE = /^[A-Za-z0-9_-]{1,64}\.js$/;
const IMMUTABLE = "public, max-age=31536000, immutable";

/**
 * Creates the server of a page's scripts.
 *
 * @param options The loader, the entry's name, the headers and a name for messages.
 * @returns A function answering a request for one script by file name.
 */
export function createPageScripts(options: PageScriptsOptions): PageScriptServer {
  const { entry, headers, what } = options;
  let scripts: Promise<PageScripts> | undefined;
  const etags = new Map<string, Promise<string>>();

  return async function servePageScript(name, req) {
    if (!NAME_RE.test(name)) return undefined;
    scripts ??= options.load();
    let loaded: PageScripts;
    try {
      loaded = await scripts;
    } catch (error) {
      // The page says why on screen rather than staying on "Loading".
      return name === entry ? script(unavailable(what, error), headers, "no-store") : undefined;
    }
    if (!Object.hasOwn(loaded, name)) return undefined;
    const js = loaded[name];
    let etag = etags.get(name);
    if (etag === undefined) etags.set(name, etag = strongEtag(js));
    const tag = await etag;
    const cache = name === entry ? "no-cache" : IMMUTABLE;
    const seen = req.headers.get("if-none-match");
    if (seen !== null && seen.split(",").some((value) => value.trim() === tag)) {
      return new Response(null, {
        status: 304,
        headers: { ...headers, etag: tag, "cache-control": cache },
      });
    }
    return script(js, { ...headers, etag: tag }, cache);
  };
}

function script(body: string, headers: Readonly<Record<string, string>>, cache: string): Response {
  return new Response(body, {
    headers: {
      ...headers,
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": cache,
    },
  });
}

async function strongEtag(text: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  const hex = Array.from(digest.subarray(0, 12), (b) => b.toString(16).padStart(2, "0")).join("");
  return `"${hex}"`;
}

/** A script that says on the page why the real one is missing. */
function unavailable(what: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `document.getElementById("loading").textContent = ${
    JSON.stringify(`The ${what} could not be loaded: ${message}`)
  };\n`;
}
