import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { buildApp, freePort, startAppServer, type AppServer } from "../support/app-server";
import { hasChromium, launchBrowser, newContext } from "../support/browser";
import { emulatorAppEnv } from "../support/embedded";
import { startEmulator, type Emulator } from "../shopify-emulator";
import { parseMail, startSmtp, type TestSmtp } from "../messaging/support";

const SHOP = "engagement-e2e.myshopify.com";
const API_KEY = "winback-engagement-e2e-key";
const API_SECRET = "winback-engagement-e2e-secret";

/**
 * Issue 15 item 1, done-when: the production build sends a campaign's Day-0 emails to an SMTP sink;
 * the browser clicks the tracked link of one (`/t/...` → 302 to the shop with UTM), and the
 * customer's profile in the admin shows the message as "Clicked" (docs/decisions/093-engagement-tracking.md).
 */
describe.skipIf(!hasChromium)("engagement tracking end to end (Chromium, production build, SMTP sink)", () => {
  let emulator: Emulator;
  let app: AppServer;
  let browser: Browser;
  let smtp: TestSmtp;

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
        MAIL_FROM: "Winback <winback@engagement.test>",
      },
    });
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await emulator?.stop();
    await smtp?.close();
  });

  it("a click on the link of a sink email is recorded and the customer's profile shows Clicked", async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
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
    await frame.getByRole("button", { name: "Launch…" }).click();
    await frame.locator("#launch-summary").waitFor();
    await frame.getByRole("button", { name: "Launch", exact: true }).click();

    // Day-0 emails reach the sink; a Standard one carries the discount link, rewritten to /t/.
    const until = Date.now() + 180_000;
    let mail: ReturnType<typeof parseMail> | undefined;
    while (!mail) {
      mail = smtp.mails.map((m) => parseMail(m.raw)).find((m) => /\/t\/t1\./.test(m.html) && /COMEBACK-/.test(m.text));
      if (!mail && Date.now() > until) throw new Error(`no tracked Day-0 email arrived:\n${app.logs.join("").slice(-3000)}`);
      if (!mail) await page.waitForTimeout(1000);
    }
    expect(mail.html).not.toMatch(new RegExp(`href="https://${SHOP.replace(/\./g, "\\.")}/discount/`));
    expect(mail.html).toMatch(/\/o\/o1\.[A-Za-z0-9_.-]+/);
    const tracked = /href="(http:\/\/localhost:\d+\/t\/t1\.[A-Za-z0-9_.-]+)"/.exec(mail.html)![1]!;
    // The unsubscribe token names the customer (legacy id) whose profile we open afterwards.
    const unsub = /\/unsubscribe\/one-click\/v1\.([A-Za-z0-9_-]+)\./.exec(mail.header("List-Unsubscribe")!)![1]!;
    const customerId = (JSON.parse(Buffer.from(unsub, "base64url").toString("utf8")) as { c: string }).c;

    // The shopper clicks in the browser: the app answers 302 to the shop. The storefront is not on the
    // internet here (and Chromium does not let a test intercept the redirect's target), so the
    // navigation beyond the redirect fails; the redirect itself is what we check.
    // In a tab of its own: the failing navigation to the storefront can still be settling into
    // Chromium's error page when the next goto starts, which then counts as interrupted.
    const shopperTab = await ctx.newPage();
    const redirect = shopperTab.waitForResponse((r) => r.url() === tracked);
    await shopperTab.goto(tracked).catch(() => undefined);
    const res = await redirect;
    await shopperTab.close();
    expect(res.status()).toBe(302);
    const landed = new URL(res.headers()["location"]!);
    expect(landed.host).toBe(SHOP);
    expect(landed.pathname).toMatch(/^\/discount\/COMEBACK-/);
    expect(landed.searchParams.get("utm_source")).toBe("winback");
    expect(landed.searchParams.get("utm_medium")).toBe("email");
    expect(landed.searchParams.get("utm_campaign")).toMatch(/^comeback-/);

    await page.goto(emulator.adminUrl(SHOP, `/app/customers/${customerId}`));
    await page.frameLocator("iframe").getByText("Clicked", { exact: true }).waitFor({ timeout: 60_000 });
    await ctx.close();
  }, 480_000);
});
