import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext } from "playwright-core";

/**
 * Debian's Chromium driven by playwright-core. Browser tests need /usr/bin/chromium (`.ci/run`
 * installs it); without it they are skipped with a message, except in CI where that is a failure.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  const msg = `Browser tests need Chromium at ${CHROMIUM} (Debian: apt-get install chromium).`;
  if (process.env.CI) throw new Error(msg);
  console.warn(`${msg} Skipping them.`);
}

export const SCREENSHOT_DIR = path.resolve("test-results/screenshots");

/** `extraArgs`: e.g. `--host-resolver-rules` for the shops' domains (test/shopify-emulator/shop-domains.ts). */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
      ...extraArgs,
    ],
  });
}

/** A context that looks like a person's browser (isbot would answer HeadlessChrome with 410) and never leaves localhost. */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const ctx = await browser.newContext({
    userAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
    viewport: { width: 1400, height: 1000 },
  });
  await ctx.route("**/*", (route) => {
    const host = new URL(route.request().url()).hostname;
    return host === "localhost" || host === "127.0.0.1" ? route.continue() : route.abort();
  });
  // Safety nets, not speed checks: on a busy 2-core machine the first page of a freshly built app
  // (token exchange, install, first render) has taken over 30 s, Playwright's default.
  ctx.setDefaultNavigationTimeout(120_000);
  ctx.setDefaultTimeout(120_000);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return ctx;
}
