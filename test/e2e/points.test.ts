import path from "node:path";
import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { hasChromium, newContext, SCREENSHOT_DIR } from "../support/browser";
import { startEmbeddedStack, type EmbeddedStack } from "../support/embedded";
import type { Emulator } from "../shopify-emulator";
import { discountsOf, findDiscountByCode } from "../shopify-emulator/modules/discounts";
import { metafieldStore } from "../shopify-emulator/modules/metafields";
import { setAppEmbed } from "../shopify-emulator/modules/storefront";
import { until } from "../support/until";

const SHOP = "points-e2e.myshopify.com";
const API_KEY = "winback-points-e2e-key";
const API_SECRET = "winback-points-e2e-secret";
const DAY = 86_400_000;

/**
 * The whole loop in a browser: a shopper's order 355 days ago (260 points, expiring in 10 days)
 * reaches the app (webhook and initial sync at install), the app's jobs write the loyalty
 * metafields, the emulated storefront renders the theme app embed from them, and the redeem button goes through Shopify's
 * signed app proxy to the app, which creates a single-use code in the emulated shop.
 */
describe.skipIf(!hasChromium)("points expiry banner on the emulated storefront (Chromium)", () => {
  let emulator: Emulator;
  let browser: Browser;
  let stack: EmbeddedStack | undefined;
  let customerId: number;

  beforeAll(async () => {
    stack = await startEmbeddedStack({ shop: SHOP, apiKey: API_KEY, apiSecret: API_SECRET, seed: { seed: 3, customers: 40, years: 1 } });
    ({ emulator, browser } = stack);
    // A shopper whose one order, 355 days ago, earned 260 points that expire in 10 days.
    const s = emulator.shop(SHOP);
    setAppEmbed(s, "points-expiry-banner", true); // the merchant activated the app embed in the theme editor
    const c = s.createCustomer({ firstName: "Maya", lastName: "Lind", email: "maya@example.com" });
    customerId = s.customerLegacyId(c);
    emulator.createOrder(SHOP, { customerId, processedAt: new Date(Date.now() - 355 * DAY), totalCents: 26_000 });
    // Install: opening the app in the admin exchanges the session token for an offline token.
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.goto(emulator.adminUrl(SHOP));
    await page.frameLocator("iframe").getByText("Orders in Shopify").waitFor({ timeout: 120_000 });
    // Points are off after install (ADR 079): the merchant turns them on, past orders included.
    await page.goto(emulator.adminUrl(SHOP, "/app/points"));
    const app = page.frameLocator("iframe");
    await app.getByText("Points are off").waitFor({ timeout: 90_000 });
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, "points-off.png") });
    await app.getByRole("button", { name: "Turn on points" }).first().click();
    const dialog = app.getByRole("dialog");
    await dialog.getByText("Do past orders earn points?").waitFor();
    await dialog.getByText("Yes, past orders earn points too").click(); // Polaris hides the radio itself behind its label
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, "points-turn-on.png") });
    await dialog.getByRole("button", { name: "Turn on points" }).click();
    await app.getByText("Every order, past ones included, earns points.").waitFor({ timeout: 90_000 });
    await ctx.close();
    await until(
      "the loyalty metafields",
      () => {
        const v = Object.values(metafieldStore(s).values).find(
          (m) => m.ownerId === `gid://shopify/Customer/${customerId}` && m.key === "points_expiring",
        );
        return v?.value === "260";
      },
      { timeoutMs: 180_000, everyMs: 250 },
    );
  }, 300_000);

  afterAll(async () => {
    await stack?.close();
  });

  it("shows the banner to the shopper; redeem returns a code that exists in the shop, once, and the balance drops", async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.goto(`${emulator.url}/${SHOP}/storefront?customer=${customerId}`);
    const banner = page.getByRole("region", { name: /points/i });
    await banner.waitFor();
    await expect(banner.textContent()).resolves.toMatch(/260 points/);
    const shots = SCREENSHOT_DIR;
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, "points-banner.png") });

    const before = discountsOf(emulator.shop(SHOP)).length;
    // A double click: the page sends one request (and the server would dedupe a second by key).
    await page.locator("[data-peb-redeem]").dblclick();
    const code = await page.locator(".peb__code").textContent({ timeout: 30_000 });
    expect(code).toMatch(/^PTS-[A-Z2-9]{10}$/);
    await expect(page.locator("[data-peb-result]").textContent()).resolves.toMatch(/60/);
    const d = findDiscountByCode(emulator.shop(SHOP), code!);
    expect(d?.context).toEqual({ kind: "customers", ids: [`gid://shopify/Customer/${customerId}`] });
    expect(d?.usageLimit).toBe(1);
    expect(discountsOf(emulator.shop(SHOP)).length).toBe(before + 1);
    await page.screenshot({ path: path.join(shots, "points-banner-redeemed.png") });

    // The balance dropped, as the app's proxy answers the shopper...
    const points = await page.evaluate(async () => (await fetch("/apps/winback/points")).json());
    expect(points).toMatchObject({ balance: 60 });
    // ...and a retry of the same click (same key) answers the same code without redeeming again.
    const replay = await page.evaluate(async () => {
      const post = () =>
        fetch("/apps/winback/redeem", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ points: 100, idempotencyKey: "e2e-retry-key" }),
        }).then((r) => r.status);
      return [await post(), await post()];
    });
    expect(replay).toEqual([400, 400]); // 60 points left: fewer than one reward
    expect(discountsOf(emulator.shop(SHOP)).length).toBe(before + 1);
    const proxied = (emulator.shop(SHOP).stores.appProxy as Array<{ method: string; path: string; status: number }>).filter(
      (l) => l.method === "POST" && l.status === 200,
    );
    expect(proxied).toHaveLength(1);
    // the storefront values follow: the app's next metafield sync writes the new balance
    await until(
      "the new balance in the metafields",
      () =>
        Object.values(metafieldStore(emulator.shop(SHOP)).values).find(
          (m) => m.ownerId === `gid://shopify/Customer/${customerId}` && m.key === "points_balance",
        )?.value === "60",
    );
    await ctx.close();
  });

  it("the Points page shows what is at risk, the expiry chart, the reminder schedule and the theme editor link", async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.goto(emulator.adminUrl(SHOP, "/app/points"));
    const frame = page.frameLocator("iframe");
    await frame.getByText("At risk in 14 days").waitFor({ timeout: 120_000 });
    // Maya's 60 points left expire in 10 days (other shoppers may add theirs)
    const atRisk = Number((await frame.locator("#points-at-risk-14").textContent())!.replace(/,/g, ""));
    expect(atRisk).toBeGreaterThanOrEqual(60);
    await frame.locator("#points-expiry-chart svg").first().waitFor();
    const link = await frame.getByRole("link", { name: "Enable the points banner" }).getAttribute("href");
    expect(link).toBe(`https://${SHOP}/admin/themes/current/editor?context=apps&activateAppId=${API_KEY}/points-expiry-banner`);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, "points-page.png"), fullPage: true });
    await ctx.close();
  });

  it("a guest sees no banner", async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.goto(`${emulator.url}/${SHOP}/storefront`);
    await page.getByText(/Guest/).waitFor();
    expect(await page.locator("[data-peb]").count()).toBe(0);
    await ctx.close();
  });
});
