// The hub's own pages, served by a hub started the way a user starts one
// away from this repository: from an empty directory outside it, with no
// unstable flag, downloads blocked (a proxy where nothing listens), and only
// cached dependencies (--cached-only) from a cache holding the locked npm
// packages and not the bundler, as a cache filled from deno.lock alone does.
// Once from this clone, once from the published file set (what `deno
// publish --dry-run` lists) copied to a temporary directory. Chromium loads
// the demo page and the console and waits for what their scripts render,
// and imports the chunks the client loads on first use (sign or verify, history or presence).
//
// Run with `deno task e2e`.

import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { launchBrowser } from "./_browser.ts";
import { freePort, type HubProcess, type HubProcessOptions, startHubProcess } from "./_server.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** Packages a hub never needs: the bundler `deno bundle` and `Deno.bundle` fetch on first use. */
const BUNDLER = new Set(["esbuild", "@esbuild"]);

/** Copies a directory tree, hard-linking files where the file system allows. */
async function linkTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const item of Deno.readDir(from)) {
    const [source, target] = [join(from, item.name), join(to, item.name)];
    if (item.isDirectory) await linkTree(source, target);
    else await Deno.link(source, target).catch(() => Deno.copyFile(source, target));
  }
}

/**
 * A fresh DENO_DIR holding this machine's npm cache but the bundler, and
 * options that start a hub offline with it: every proxied request goes to
 * a closed port (loopback is exempt), and `--cached-only`. (Symbolic links
 * would not do: Deno resolves them out of its cache.)
 */
async function offline(): Promise<HubProcessOptions & AsyncDisposable> {
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
  }).output();
  const { npmCache } = JSON.parse(new TextDecoder().decode(stdout)) as { npmCache: string };
  const denoDir = await Deno.makeTempDir({ prefix: "realtime-pages-deno-dir-" });
  for (const registry of await Array.fromAsync(Deno.readDir(npmCache))) {
    for await (const item of Deno.readDir(join(npmCache, registry.name))) {
      if (BUNDLER.has(item.name)) continue;
      await linkTree(
        join(npmCache, registry.name, item.name),
        join(denoDir, "npm", registry.name, item.name),
      );
    }
  }
  return {
    env: {
      DENO_DIR: denoDir,
      HTTPS_PROXY: "http://127.0.0.1:9",
      HTTP_PROXY: "http://127.0.0.1:9",
      NO_PROXY: "127.0.0.1,localhost",
      DENO_NO_UPDATE_CHECK: "1",
    },
    denoArgs: ["--cached-only"],
    [Symbol.asyncDispose]: () => Deno.remove(denoDir, { recursive: true }),
  };
}

interface PageGlobals {
  fetch: typeof fetch;
}

/** A new, empty directory outside the repository. */
async function emptyDirOutsideRepo(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  assert.ok(relative(REPO, dir).startsWith(".."), `${dir} is outside ${REPO}`);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
  return dir;
}

/** Starts a hub in a fresh empty directory, runs `check`, stops the hub and removes the directory. */
async function withHub(
  options: HubProcessOptions,
  check: (hub: HubProcess) => Promise<void>,
): Promise<void> {
  const dir = await emptyDirOutsideRepo("realtime-pages-cwd-");
  const hub = await startHubProcess(dir, freePort(), options);
  try {
    await check(hub);
    assert.doesNotMatch(hub.stderr(), /Download|Deno\.bundle/, "nothing fetched or bundled");
  } catch (error) {
    throw new Error(
      `${error instanceof Error ? error.message : error}\nhub log:\n${hub.stderr()}`,
      {
        cause: error,
      },
    );
  } finally {
    await hub.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Waits for the page's script to mark it ready; on timeout, says what the page shows instead. */
async function scriptRan(page: Page): Promise<void> {
  try {
    await page.waitForSelector("body.ready");
  } catch (error) {
    const shown = await page.textContent("#loading").catch(() => null);
    throw new Error(`The page's script did not run; the page says: ${shown}`, { cause: error });
  }
}

/** Loads the demo page and the console in Chromium and waits for their scripts to run. */
async function pagesWork(hub: HubProcess): Promise<void> {
  await using browser = await launchBrowser();
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });

  const demo = await page.goto(hub.url + "/");
  assert.equal(demo?.status(), 200);
  await scriptRan(page);
  assert.equal(await page.isVisible("#loading"), false);
  assert.match(await page.textContent("#log") ?? "", /subscribe and publish/);
  // The chunks behind sign and verify: served as JavaScript under the page's CSP.
  const chunks = await page.evaluate(async () => {
    const { fetch } = globalThis as unknown as PageGlobals;
    const entry = await (await fetch("/assets/demo.js")).text();
    const names = [...entry.matchAll(/import\("\.\/([^"]+\.js)"\)/g)].map((match) => match[1]);
    for (const name of names) await import(`/assets/${name}`);
    return names;
  });
  assert.ok(chunks.some((name) => name.startsWith("_signing-")), chunks.join(", "));
  assert.ok(chunks.some((name) => name.startsWith("_queries-")), chunks.join(", "));

  const admin = await page.goto(hub.url + "/admin");
  assert.equal(admin?.status(), 200);
  await scriptRan(page);
  assert.equal(await page.isVisible("#signin-form"), true);
  assert.deepEqual(errors, []);
}

/** The files `deno publish --dry-run` lists, relative to the repository. */
async function publishedFiles(): Promise<string[]> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: REPO,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assert.equal(code, 0, text);
  return [...text.matchAll(/^\s+(file:\/\/\S+) \(/gm)].map(([, url]) =>
    relative(REPO, fileURLToPath(url))
  );
}

Deno.test({
  name: "hub pages work from an empty directory outside the repo, offline, without unstable flags",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using options = await offline();
    await withHub(options, pagesWork);
  },
});

Deno.test({
  name: "hub pages work from the published file set copied to a temporary directory, offline",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const files = await publishedFiles();
    for (
      const file of [
        "src/demo/_scripts.generated.ts",
        "src/admin/console/_scripts.generated.ts",
        "docs/demo.png",
      ]
    ) {
      assert.ok(files.includes(file), `${file} is published`);
    }
    // Every relative link of a published Markdown file leads to a published file.
    for (const doc of files.filter((file) => file.endsWith(".md"))) {
      const text = await Deno.readTextFile(join(REPO, doc));
      for (const [, target] of text.matchAll(/\]\((?!https?:|mailto:|#)([^)\s#]+)/g)) {
        const linked = relative(REPO, join(REPO, dirname(doc), target));
        assert.ok(files.includes(linked), `${doc} links to ${target}, which is not published`);
      }
    }
    const pkg = await emptyDirOutsideRepo("realtime-pages-package-");
    try {
      for (const file of files) {
        await Deno.mkdir(join(pkg, dirname(file)), { recursive: true });
        await Deno.copyFile(join(REPO, file), join(pkg, file));
      }
      // Not published: a JSR user's own lock pins what they install. This one
      // pins exactly what the cache holds, so the hub can start offline.
      await Deno.copyFile(join(REPO, "deno.lock"), join(pkg, "deno.lock"));
      await using options = await offline();
      await withHub({ ...options, root: pkg }, pagesWork);
    } finally {
      await Deno.remove(pkg, { recursive: true });
    }
  },
});
