// Debian's Chromium driven by playwright-core: never a downloaded browser.

import { type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

export interface Browser extends AsyncDisposable {
  readonly context: BrowserContext;
  newPage(): Promise<Page>;
}

/** Launches headless Chromium with a fresh profile that is removed on dispose. */
export async function launchBrowser(): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "realtime-e2e-profile-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 960, height: 640 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  context.setDefaultTimeout(15_000);
  const close = async () => {
    await context.close();
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  };
  return {
    context,
    newPage: () => context.newPage(),
    [Symbol.asyncDispose]: close,
  };
}
