import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { createUnsubscribeToken } from "../../app/messaging/token";
import type { AppServer } from "../support/app-server";
import { hasChromium, newContext, SCREENSHOT_DIR } from "../support/browser";
import { startEmbeddedStack, type EmbeddedStack } from "../support/embedded";
import type { Emulator } from "../shopify-emulator";

const SHOP = "e2e-unsub.myshopify.com";
const API_KEY = "winback-e2e-unsub-key";
const API_SECRET = "winback-e2e-unsub-secret";

/**
 * The production build: a shopper opens the unsubscribe link from an email, the page (GET) does
 * not unsubscribe, the button POSTs, and the app's worker tells Shopify (the emulator) through
 * customerEmailMarketingConsentUpdate with the shop's offline token.
 */
describe.skipIf(!hasChromium)("one-click unsubscribe page (Chromium, production build)", () => {
  let emulator: Emulator;
  let app: AppServer;
  let browser: Browser;
  let stack: EmbeddedStack | undefined;

  beforeAll(async () => {
    stack = await startEmbeddedStack({
      shop: SHOP,
      apiKey: API_KEY,
      apiSecret: API_SECRET,
      seed: { seed: 3, customers: 40, years: 1 },
      emulator: { webhookRetry: { attempts: 1, baseDelayMs: 10, timeoutMs: 2000 } },
    });
    ({ emulator, app, browser } = stack);
  }, 300_000);

  afterAll(async () => {
    await stack?.close();
  });

  it("GET shows the confirmation, the button unsubscribes, and Shopify's consent becomes UNSUBSCRIBED", async () => {
    const s = emulator.shop(SHOP);
    const idx = [...Array(40).keys()].find((i) => s.customerView(i).email && s.customerView(i)._emailState === "SUBSCRIBED")!;
    const customerId = String(s.customerLegacyId(idx));
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    // Install: the admin frame loads the app, which exchanges the session token for the offline token.
    await page.goto(emulator.adminUrl(SHOP));
    await page.frameLocator("iframe").getByText("Orders in Shopify").waitFor({ timeout: 90_000 });

    const token = createUnsubscribeToken(API_SECRET, { shop: SHOP, customerId, campaignId: "cmp-e2e" });
    const res = await page.goto(`${app.url}/unsubscribe/${token}`);
    expect(res?.status()).toBe(200);
    await page.getByRole("heading", { name: /Stop receiving marketing emails from/ }).waitFor();
    // Only showing the page changed nothing.
    await new Promise((r) => setTimeout(r, 500));
    expect(s.customerView(idx)._emailState).toBe("SUBSCRIBED");
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, "unsubscribe-confirm.png") });

    await page.getByRole("button", { name: "Unsubscribe" }).click();
    await page.getByRole("heading", { name: "You are unsubscribed" }).waitFor();
    await expect(page.getByRole("status").textContent()).resolves.toMatch(/will not send you marketing emails any more/);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, "unsubscribe-done.png") });

    for (let i = 0; i < 100 && s.customerView(idx)._emailState !== "UNSUBSCRIBED"; i++) await new Promise((r) => setTimeout(r, 100));
    expect(s.customerView(idx)._emailState).toBe("UNSUBSCRIBED");
    // Reloading shows the recorded state; a forged link is refused with 403 and a readable message.
    await page.goto(`${app.url}/unsubscribe/${token}`);
    await page.getByRole("heading", { name: "You are unsubscribed" }).waitFor();
    const forged = await page.goto(`${app.url}/unsubscribe/${createUnsubscribeToken("wrong-secret", { shop: SHOP, customerId })}`);
    expect(forged?.status()).toBe(403);
    await page.getByRole("alert").filter({ hasText: "This unsubscribe link is not valid" }).waitFor();
    await page.getByText("signature mismatch", { exact: false }).waitFor();
    await ctx.close();
  }, 180_000);
});
