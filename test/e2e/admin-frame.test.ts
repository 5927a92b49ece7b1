import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { hasChromium, newContext, SCREENSHOT_DIR } from "../support/browser";
import { startEmbeddedStack, type EmbeddedStack } from "../support/embedded";
import type { Emulator } from "../shopify-emulator";

const SHOP = "e2e-shop.myshopify.com";
const API_KEY = "winback-e2e-key";
const API_SECRET = "winback-e2e-secret";

describe.skipIf(!hasChromium)("embedded app in the admin frame (Chromium)", () => {
  let emulator: Emulator;
  let browser: Browser;
  let stack: EmbeddedStack | undefined;

  beforeAll(async () => {
    stack = await startEmbeddedStack({ shop: SHOP, apiKey: API_KEY, apiSecret: API_SECRET, seed: { seed: 7, customers: 300, years: 3 } });
    ({ emulator, browser } = stack);
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
  });

  it("loads the app inside the admin frame with data read through the Admin API, and navigates", async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.goto(emulator.adminUrl(SHOP));
    const frame = page.frameLocator("iframe");
    await expect(frame.getByText("Orders in Shopify").waitFor({ timeout: 60_000 })).resolves.toBeUndefined();
    const expected = emulator.shop(SHOP).orderCount();
    await frame
      .locator("#orders-count")
      .filter({ hasText: expected.toLocaleString("en-US") })
      .waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, "home.png"), fullPage: true });
    await ctx.close();
  });
});
