import { mkdirSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page, Response } from "playwright-core";
import { buildApp, freePort, startAppServer, type AppServer } from "../support/app-server";
import { hasChromium, launchBrowser } from "../support/browser";
import { emulatorAppEnv } from "../support/embedded";
import { startEmulator, type Emulator } from "../shopify-emulator";
import { appEmbedEnabled, setStorefrontPrivacy, type ProxyLogEntry } from "../shopify-emulator/modules/storefront";
import { startShopDomains, type ShopDomains } from "../shopify-emulator/shop-domains";
import { parseMail, startSmtp, type TestSmtp } from "../messaging/support";

const SHOP = "visits-e2e.myshopify.com";
const API_KEY = "winback-visits-e2e-key";
const API_SECRET = "winback-visits-e2e-secret";
type WithPrivacy = { Shopify?: { customerPrivacy?: { analyticsProcessingAllowed(): boolean } } };
const analyticsAllowed = () => (window as unknown as WithPrivacy).Shopify?.customerPrivacy?.analyticsProcessingAllowed();
const DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

/**
 * Issue 15 item 1, visits end to end (docs/decisions/102-visits-codes-and-won-back-health.md,
 * "Visits end to end"): the merchant activates the storefront-visits app embed in the theme editor;
 * a logged-in shopper clicks the tracked link of a Day-0 email from the SMTP sink; Chromium follows
 * the app's redirect to https://{shop}/discount/{code} (the shop's domain served by the emulator
 * through shop-domains.ts), lands on the storefront, the embed asks the Customer Privacy API and
 * posts the visit through the signed app proxy, and the customer's profile shows "Visited". Where
 * the shop requires consent, a shopper who declines sends nothing; one who accepts is counted.
 */
describe.skipIf(!hasChromium)("storefront visits end to end (Chromium, production build, SMTP sink, shop domain)", () => {
  let emulator: Emulator;
  let app: AppServer;
  let browser: Browser;
  let smtp: TestSmtp;
  let domains: ShopDomains;
  const mails = new Map<string, string>(); // customer id → tracked link of their Day-0 email

  async function context(): Promise<BrowserContext> {
    const ctx = await browser.newContext({ userAgent: DESKTOP, viewport: { width: 1400, height: 1000 }, ignoreHTTPSErrors: true });
    await ctx.route("**/*", (route) => {
      const host = new URL(route.request().url()).hostname;
      return host === "localhost" || host === "127.0.0.1" || host === SHOP ? route.continue() : route.abort();
    });
    ctx.setDefaultNavigationTimeout(120_000);
    ctx.setDefaultTimeout(120_000);
    return ctx;
  }

  /** The shopper's customer-account session (emulator-only login; no storefront page is loaded, so no visit). */
  async function logIn(ctx: BrowserContext, customerId: string) {
    const page = await ctx.newPage();
    await page.goto(`https://${SHOP}/account/login?customer=${customerId}`);
    await page.locator("[data-logged-in]").waitFor();
    await page.close();
  }

  const visitsProxied = (customerId: string) =>
    ((emulator.shop(SHOP).stores.appProxy ?? []) as ProxyLogEntry[]).filter(
      (l) => l.method === "POST" && l.path === "/apps/winback/visit" && l.loggedInCustomerId === customerId,
    );

  /** The app stored the visit: 202 through the signed proxy (else the answer and the app's log say why). */
  async function expectStored(res: Response) {
    if (res.status() !== 202) throw new Error(`visit answered ${res.status()}: ${await res.text()}\n${app.logs.join("").slice(-4000)}`);
  }

  async function profileText(page: Page, customerId: string): Promise<string> {
    await page.goto(emulator.adminUrl(SHOP, `/app/customers/${customerId}`));
    const frame = page.frameLocator("iframe");
    await frame.locator("#storefront-visits").waitFor({ timeout: 90_000 });
    return (await frame.locator("#storefront-visits").textContent()) ?? "";
  }

  beforeAll(async () => {
    buildApp();
    smtp = await startSmtp();
    const appPort = await freePort();
    const appUrl = `http://localhost:${appPort}`;
    emulator = await startEmulator({ apiKey: API_KEY, apiSecret: API_SECRET, appUrl });
    await emulator.addShop(SHOP, { seed: 21, customers: 400, years: 3 });
    app = await startAppServer({
      port: appPort,
      env: {
        ...emulatorAppEnv(emulator, { apiKey: API_KEY, apiSecret: API_SECRET, appUrl }),
        DATABASE_URL: "memory://",
        JOB_POLL_MS: "100",
        SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        MAIL_FROM: "Winback <winback@visits.test>",
      },
    });
    domains = await startShopDomains(emulator.url);
    browser = await launchBrowser([`--host-resolver-rules=${domains.hostResolverRules([SHOP])}`]);
  }, 300_000);

  afterAll(async () => {
    mkdirSync("test-results", { recursive: true });
    writeFileSync("test-results/visits-e2e-app.log", app?.logs.join("") ?? ""); // what the app said, when a step failed
    await browser?.close();
    await domains?.close();
    await app?.stop();
    await emulator?.stop();
    await smtp?.close();
  });

  it("the merchant activates the visits embed in the theme editor; a campaign's Day-0 emails reach the sink", async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    // The deep link the app would give (activateAppId={api_key}/{handle}) opens the editor with the embed activated; Save turns it on.
    await page.goto(`https://${SHOP}/admin/themes/current/editor?context=apps&activateAppId=${API_KEY}/storefront-visits`);
    expect(appEmbedEnabled(emulator.shop(SHOP), "storefront-visits")).toBe(false);
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved").waitFor();
    expect(appEmbedEnabled(emulator.shop(SHOP), "storefront-visits")).toBe(true);
    expect(appEmbedEnabled(emulator.shop(SHOP), "points-expiry-banner")).toBe(false);

    await page.goto(emulator.adminUrl(SHOP));
    await page.frameLocator("iframe").getByText("Orders in Shopify").waitFor({ timeout: 90_000 });
    const deadline = Date.now() + 180_000;
    for (;;) {
      await page.goto(emulator.adminUrl(SHOP, "/app/campaigns/new"));
      const text = await page
        .frameLocator("iframe")
        .getByText(/customers get the campaign/)
        .textContent({ timeout: 60_000 });
      if (Number(/([\d,]+) customers get the campaign/.exec(text ?? "")?.[1]?.replace(/,/g, "") ?? 0) > 0) break;
      if (Date.now() > deadline) throw new Error("the analysis never marked target customers");
      await page.waitForTimeout(2000);
    }
    const frame = page.frameLocator("iframe");
    // On a loaded machine a click can land before the page has hydrated and do nothing: click again.
    for (let attempt = 1; ; attempt++) {
      await frame.getByRole("button", { name: "Launch…" }).click();
      const opened = await frame
        .locator("#launch-summary")
        .waitFor({ timeout: 30_000 })
        .then(() => true)
        .catch(() => false);
      if (opened) break;
      if (attempt === 4) {
        await page.screenshot({ path: "test-results/screenshots/visits-launch-failed.png" });
        throw new Error(`the launch dialog never opened:\n${app.logs.join("").slice(-3000)}`);
      }
    }
    await frame.getByRole("button", { name: "Launch", exact: true }).click();

    // Three shoppers' Day-0 emails carrying the discount link, rewritten to the app's /t/ redirect.
    const until = Date.now() + 180_000;
    while (mails.size < 3) {
      for (const m of smtp.mails.map((x) => parseMail(x.raw))) {
        const tracked = /href="(http:\/\/localhost:\d+\/t\/t1\.[A-Za-z0-9_.-]+)"/.exec(m.html)?.[1];
        const unsub = /\/unsubscribe\/one-click\/v1\.([A-Za-z0-9_-]+)\./.exec(m.header("List-Unsubscribe") ?? "")?.[1];
        if (!tracked || !unsub || !/COMEBACK-/.test(m.text)) continue;
        mails.set((JSON.parse(Buffer.from(unsub, "base64url").toString("utf8")) as { c: string }).c, tracked);
      }
      if (mails.size < 3 && Date.now() > until) throw new Error(`fewer than 3 tracked Day-0 emails:\n${app.logs.join("").slice(-3000)}`);
      if (mails.size < 3) await page.waitForTimeout(1000);
    }
    await ctx.close();
  }, 480_000);

  it("consent not required (the emulator's default): the logged-in shopper's click lands on the storefront, the visit is recorded and the profile shows Visited", async () => {
    const [customerId, tracked] = [...mails][0]!;
    const ctx = await context();
    await logIn(ctx, customerId);
    const tab = await ctx.newPage();
    const posted = tab.waitForResponse((r) => r.url() === `https://${SHOP}/apps/winback/visit` && r.request().method() === "POST", {
      timeout: 90_000,
    });
    await tab.goto(tracked);
    // The app's 302 went to https://{shop}/discount/COMEBACK-…, which applied the code and sent the shopper home.
    expect(tab.url()).toBe(`https://${SHOP}/`);
    await expect(tab.locator("[data-discount-applied]").textContent()).resolves.toMatch(/COMEBACK-/);
    await expect(tab.locator("[data-storefront-customer]").textContent()).resolves.toContain(`#${customerId}`);
    expect(await tab.evaluate(analyticsAllowed)).toBe(true);
    await expectStored(await posted);
    expect(visitsProxied(customerId)).toHaveLength(1);

    const admin = await ctx.newPage();
    const text = await profileText(admin, customerId);
    expect(text).toMatch(/1 in the last 30 days, 1 of 1 from an email/);
    await admin.frameLocator("iframe").getByText("Clicked", { exact: true }).waitFor();
    await admin.frameLocator("iframe").getByText("Visited", { exact: true }).waitFor();
    await ctx.close();
  }, 300_000);

  it("consent required: a shopper who declines in the banner sends nothing; one who accepts is counted", async () => {
    setStorefrontPrivacy(emulator.shop(SHOP), { consentRequired: true });
    const [[declinedId, declinedLink], [acceptedId, acceptedLink]] = [...mails].slice(1) as [[string, string], [string, string]];

    const ctx = await context();
    await logIn(ctx, declinedId);
    const tab = await ctx.newPage();
    const sent: string[] = [];
    tab.on("request", (r) => {
      if (r.url().includes("/apps/winback/visit")) sent.push(r.url());
    });
    const script = tab.waitForResponse((r) => r.url().endsWith("/storefront-visits.js"));
    await tab.goto(declinedLink);
    expect((await script).status()).toBe(200); // the embed is there and ran…
    expect(await tab.evaluate(analyticsAllowed)).toBe(false);
    await tab.getByRole("dialog", { name: "Cookie consent" }).getByRole("button", { name: "Decline" }).click();
    await tab.getByRole("dialog", { name: "Cookie consent" }).waitFor({ state: "hidden" });
    await tab.reload(); // a later page of the same visit: still refused
    await tab.waitForTimeout(2000);
    expect(sent).toEqual([]); // …and nothing left the page
    expect(visitsProxied(declinedId)).toHaveLength(0);
    const admin = await ctx.newPage();
    expect(await profileText(admin, declinedId)).toMatch(/No storefront visits recorded/);
    await admin.frameLocator("iframe").getByText("Clicked", { exact: true }).waitFor();
    expect(await admin.frameLocator("iframe").getByText("Visited", { exact: true }).count()).toBe(0);
    await ctx.close();

    const ctx2 = await context();
    await logIn(ctx2, acceptedId);
    const tab2 = await ctx2.newPage();
    await tab2.goto(acceptedLink);
    const posted = tab2.waitForResponse((r) => r.url() === `https://${SHOP}/apps/winback/visit` && r.request().method() === "POST", {
      timeout: 90_000,
    });
    await tab2.getByRole("dialog", { name: "Cookie consent" }).getByRole("button", { name: "Accept" }).click();
    await expectStored(await posted); // sent on visitorConsentCollected
    const admin2 = await ctx2.newPage();
    expect(await profileText(admin2, acceptedId)).toMatch(/1 in the last 30 days, 1 of 1 from an email/);
    await admin2.frameLocator("iframe").getByText("Visited", { exact: true }).waitFor();
    await ctx2.close();
  }, 300_000);
});
