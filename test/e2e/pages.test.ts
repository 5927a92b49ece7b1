import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Frame, FrameLocator, Locator, Page } from "playwright-core";
import { hasChromium, SCREENSHOT_DIR } from "../support/browser";
import { startEmbeddedStack, type EmbeddedStack } from "../support/embedded";
import type { Emulator } from "../shopify-emulator";
import { until } from "../support/until";

const SHOP = "pages-e2e.myshopify.com";
const API_KEY = "winback-pages-e2e-key";
const API_SECRET = "winback-pages-e2e-secret";

/**
 * The browser is deliberately far from the server: a German locale and a time zone fourteen hours
 * ahead of UTC (the server renders in Node's UTC, the shop lives in America/New_York). Any text the
 * app formats with the runtime's defaults — `toLocaleString()`, `new Date()` at render time,
 * `Intl` without a locale or time zone — renders differently on the client and React's hydration
 * fails, which is what this test is here to catch.
 */
const BROWSER_LOCALE = "de-DE";
const BROWSER_TIME_ZONE = "Pacific/Kiritimati";

/**
 * Runs in every frame before any of its scripts: records attributes that scripts other than React
 * add to server-rendered elements before React starts hydrating (React's hydration compares them
 * with the server's; in development it warns "Extra attributes from the server"). React marks the
 * document with a `__reactContainer$…` key the moment `hydrateRoot` is called; nothing before that is React.
 */
const PRE_HYDRATION_WATCH = `(() => {
  const seen = [];
  Object.defineProperty(window, "__preHydrationAttributes", { value: seen });
  const hydrating = () => Object.keys(document).some((k) => k.startsWith("__reactContainer$"));
  new MutationObserver((records) => {
    if (hydrating()) return;
    for (const r of records) {
      if (r.type === "attributes" && r.target.nodeType === 1) seen.push(r.target.localName + "[" + r.attributeName + "]");
    }
  }).observe(document, { attributes: true, subtree: true });
})();`;

interface Reported {
  page: string;
  kind: "console" | "pageerror";
  type: string;
  text: string;
  url: string;
}

/** The app's frame inside the admin page (the emulator names it like Shopify's admin does). */
function appFrame(page: Page): Frame {
  const f = page.frames().find((x) => x.name() === "app-iframe");
  if (!f) throw new Error("the admin page has no app iframe");
  return f;
}

/**
 * Hydration has finished when React has taken the document (`hydrateRoot` was called), every
 * script has run (`load`), and the main thread has gone idle once after that: React's scheduler
 * works in tasks, so an idle callback only runs when the hydration work queue is empty.
 */
async function hydrated(frame: Frame): Promise<void> {
  await frame.waitForFunction(
    () => document.readyState === "complete" && Object.keys(document).some((k) => k.startsWith("__reactContainer$")),
    undefined,
    { timeout: 60_000 },
  );
  await frame.evaluate(
    () => new Promise<void>((resolve) => requestAnimationFrame(() => requestIdleCallback(() => resolve(), { timeout: 10_000 }))),
  );
  await frame.evaluate(() => new Promise<void>((resolve) => requestIdleCallback(() => resolve(), { timeout: 10_000 })));
}

describe.skipIf(!hasChromium)("every page of the app is clean in the admin frame (Chromium)", () => {
  let emulator: Emulator;
  let browser: Browser;
  let stack: EmbeddedStack | undefined;
  let ctx: BrowserContext;
  let adminOrigin: string;
  const reported: Reported[] = [];
  let current = "";
  let campaignPath = "";
  let taskPath = "";
  let customerPath = "";

  beforeAll(async () => {
    stack = await startEmbeddedStack({ shop: SHOP, apiKey: API_KEY, apiSecret: API_SECRET, seed: { seed: 21, customers: 300, years: 3 } });
    ({ emulator, browser } = stack);
    adminOrigin = new URL(emulator.adminUrl(SHOP)).origin;
    ctx = await browser.newContext({
      // A person's Chrome (isbot would answer HeadlessChrome with 410), far from the server's locale and zone.
      userAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
      viewport: { width: 1400, height: 1000 },
      locale: BROWSER_LOCALE,
      timezoneId: BROWSER_TIME_ZONE,
    });
    // Never leave the machine: the app must not need Shopify's CDN when APP_BRIDGE_URL points at the emulator.
    await ctx.route("**/*", (route) => {
      const host = new URL(route.request().url()).hostname;
      return host === "localhost" || host === "127.0.0.1" ? route.continue() : route.abort();
    });
    await ctx.addInitScript(PRE_HYDRATION_WATCH);
    ctx.on("page", (p) => watch(p));

    // Install (token exchange); the sync and the analysis run as jobs.
    const page = await ctx.newPage();
    await page.goto(emulator.adminUrl(SHOP));
    await page.frameLocator("iframe").getByText("Orders in Shopify").waitFor({ timeout: 120_000 });
    // A launched campaign (and with it outreach tasks for its VIPs): plan, confirm, launch.
    await until(
      "the analysis to mark target customers",
      async () => {
        await page.goto(emulator.adminUrl(SHOP, "/app/campaigns/new"));
        const text = await page
          .frameLocator("iframe")
          .getByText(/customers get the campaign/)
          .textContent({ timeout: 60_000 });
        return Number(/([\d,.]+) customers get the campaign/.exec(text ?? "")?.[1]?.replace(/[,.]/g, "") ?? 0) > 0;
      },
      { timeoutMs: 180_000, everyMs: 1_000 },
    );
    const frame = page.frameLocator("iframe");
    await frame.getByRole("button", { name: "Launch…" }).click();
    await frame.locator("#launch-summary").waitFor();
    await frame.getByRole("button", { name: "Launch", exact: true }).click();
    await frame.getByRole("button", { name: "Pause" }).waitFor({ timeout: 180_000 });
    campaignPath = new URL(appFrame(page).url()).pathname;
    expect(campaignPath).toMatch(/^\/app\/campaigns\/[^/]+$/);
    await page.goto(emulator.adminUrl(SHOP, "/app/outreach"));
    const firstTask = page.frameLocator("iframe").locator("table tbody tr a").first();
    await firstTask.waitFor({ timeout: 60_000 });
    await firstTask.click();
    await until("the outreach task page", async () => /^\/app\/outreach\/[^/]+$/.test(new URL(appFrame(page).url()).pathname));
    taskPath = new URL(appFrame(page).url()).pathname;
    // The task links its customer's profile (issue 15): a VIP in the launched campaign, with a task.
    await page.frameLocator("iframe").getByRole("link", { name: "Customer profile" }).click();
    await until("the customer profile page", async () => /^\/app\/customers\/\d+$/.test(new URL(appFrame(page).url()).pathname));
    customerPath = new URL(appFrame(page).url()).pathname;
    await page.close();
    // What happened while getting here is not what the test is about (but it is printed if a page fails).
    reported.length = 0;
  }, 600_000);

  afterAll(async () => {
    await ctx?.close();
    await stack?.close();
  });

  function watch(p: Page) {
    p.on("console", (msg) => {
      if (msg.type() !== "error" && msg.type() !== "warning") return;
      const url = msg.location().url;
      // The emulator's admin page around the iframe (its inline script, its own favicon) is not
      // the app; its location is the admin page itself. The App Bridge stand-in's script is served
      // from the emulator too, but it runs inside the app's frame and counts as the app.
      if (url && new URL(url).origin === adminOrigin && !new URL(url).pathname.endsWith("/app-bridge.js")) return;
      reported.push({ page: current, kind: "console", type: msg.type(), text: msg.text(), url });
    });
    p.on("pageerror", (err) =>
      reported.push({ page: current, kind: "pageerror", type: "error", text: `${err.message}\n${err.stack ?? ""}`, url: "" }),
    );
  }

  // Each page with what shows it has rendered (the nav menu's hidden links also say "Campaigns",
  // so page titles are matched as headings). /app/sync is not a page: it is the status data the
  // dashboard's sync card polls, and the dashboard shows it.
  const h1 = (name: string) => (f: FrameLocator) => f.getByRole("heading", { level: 1, name, exact: true });
  const pages: Array<[string, () => string, (f: FrameLocator) => Locator]> = [
    ["dashboard", () => "/app", (f) => f.getByText("Orders in Shopify")],
    ["segments", () => "/app/segments", (f) => f.getByText(/customers match/)],
    ["settings", () => "/app/settings", h1("Analysis settings")],
    ["campaigns list", () => "/app/campaigns", h1("Campaigns")],
    ["new campaign plan", () => "/app/campaigns/new", (f) => f.getByText(/customers get the campaign/)],
    ["launched campaign", () => campaignPath, (f) => f.getByText(/Cumulative reactivation, treated vs holdout/)],
    ["outreach queue", () => "/app/outreach", h1("Outreach")],
    ["outreach task", () => taskPath, (f) => f.getByRole("dialog")],
    ["customer profile", () => customerPath, (f) => f.getByText("Campaigns and programs")],
    // Points are off on a fresh install (ADR 079): the page explains it and offers to turn them on.
    ["points", () => "/app/points", (f) => f.getByText("Points are off")],
    ["concierge settings", () => "/app/settings/outreach", h1("Concierge settings")],
    // Programs are off until the merchant turns one on (issue 13): the page says nothing is sent.
    ["programs", () => "/app/programs", h1("Always-on win-back")],
    ["campaign settings", () => "/app/settings/campaigns", h1("Campaign settings")],
    // The preview is composed in the browser with the shop's zone and the customers' language (ADR 080).
    ["email settings", () => "/app/settings/email", (f) => f.getByText(/^Subject: We miss you: 15% off until/)],
  ];

  it.each(pages)(
    "%s: loads and hydrates with no console error or warning and no page error",
    async (name, route, marker) => {
      current = name;
      const page = await ctx.newPage();
      // The app's HTML as the server sent it, to show what hydration disagreed with.
      let serverHtml = "";
      page.on("response", (r) => {
        if (r.request().resourceType() === "document" && new URL(r.url()).origin !== adminOrigin)
          void r.text().then(
            (t) => (serverHtml = t),
            () => {},
          );
      });
      try {
        await page.goto(emulator.adminUrl(SHOP, route()));
        await marker(page.frameLocator("iframe")).first().waitFor({ timeout: 90_000 });
        const f = appFrame(page);
        await hydrated(f);
        const preHydration = await f.evaluate(() => (window as unknown as { __preHydrationAttributes: string[] }).__preHydrationAttributes);
        const mine = reported.filter((r) => r.page === name);
        if (mine.length) {
          console.error(`${name}:\n${mine.map((r) => `  [${r.kind} ${r.type}] ${r.text} (${r.url})`).join("\n")}`);
          const dir = path.join(SCREENSHOT_DIR, "..", "pages");
          mkdirSync(dir, { recursive: true });
          const file = name.replace(/\W+/g, "-");
          writeFileSync(path.join(dir, `${file}.server.html`), serverHtml);
          writeFileSync(path.join(dir, `${file}.client.html`), await f.content());
        }
        expect(mine.map((r) => `${r.type}: ${r.text.split("\n")[0]}`)).toEqual([]);
        expect(preHydration).toEqual([]);
        // With APP_BRIDGE_URL pointing at the emulator nothing in the page names Shopify's CDN (not even a preconnect hint).
        expect(await f.content()).not.toContain("cdn.shopify.com");
      } finally {
        await page.close();
      }
    },
    180_000,
  );
});
