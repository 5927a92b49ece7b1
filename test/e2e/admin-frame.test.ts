import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { buildApp, startAppServer, freePort, type AppServer } from "../support/app-server";
import { hasChromium, launchBrowser, newContext, SCREENSHOT_DIR } from "../support/browser";
import { startEmulator, type Emulator } from "../shopify-emulator";

const SHOP = "e2e-shop.myshopify.com";
const API_KEY = "winback-e2e-key";
const API_SECRET = "winback-e2e-secret";

describe.skipIf(!hasChromium)("embedded app in the admin frame (Chromium)", () => {
  let emulator: Emulator;
  let app: AppServer;
  let browser: Browser;

  beforeAll(async () => {
    buildApp();
    const appPort = await freePort();
    const appUrl = `http://localhost:${appPort}`;
    emulator = await startEmulator({ apiKey: API_KEY, apiSecret: API_SECRET, appUrl });
    await emulator.addShop(SHOP, { seed: 7, customers: 300, years: 3 });
    app = await startAppServer({
      port: appPort,
      env: {
        SHOPIFY_API_KEY: API_KEY,
        SHOPIFY_API_SECRET: API_SECRET,
        SHOPIFY_APP_URL: appUrl,
        DATABASE_URL: "memory://",
        SHOPIFY_ADMIN_URL_TEMPLATE: `${emulator.url}/{shop}`,
        APP_BRIDGE_URL: `${emulator.url}/app-bridge.js`,
        ADMIN_FRAME_ORIGINS: emulator.url,
        JOB_POLL_MS: "100",
      },
    });
    browser = await launchBrowser();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await emulator?.stop();
  });

  it("loads the app inside the admin frame with data read through the Admin API, and navigates", async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.goto(emulator.adminUrl(SHOP));
    const frame = page.frameLocator("iframe");
    await expect(frame.getByText("Orders in Shopify").waitFor({ timeout: 60_000 })).resolves.toBeUndefined();
    const expected = emulator.shop(SHOP).orderCount();
    await frame.locator("#orders-count").filter({ hasText: expected.toLocaleString("en-US") }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, "home.png"), fullPage: true });
    await ctx.close();
  });
});
