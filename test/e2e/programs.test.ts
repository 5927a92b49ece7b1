import path from "node:path";
import { copyFileSync, mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { ROOT, type AppServer } from "../support/app-server";
import { hasChromium, newContext, SCREENSHOT_DIR } from "../support/browser";
import { startEmbeddedStack, type EmbeddedStack } from "../support/embedded";
import type { Emulator } from "../shopify-emulator";
import { discountsOf } from "../shopify-emulator/modules/discounts";
import { segmentsOf } from "../shopify-emulator/modules/marketing";

const SHOP = "programs-e2e.myshopify.com";
const API_KEY = "winback-programs-e2e-key";
const API_SECRET = "winback-programs-e2e-secret";

/**
 * The merchant turns the Standard program on in the emulated admin: nothing exists in Shopify
 * before; the confirmation says what will be sent; once on, the launch creates the program's code
 * and segment, the daily run enrols customers and the page shows them (docs/screenshots/programs.png).
 */
describe.skipIf(!hasChromium)("always-on program in the admin frame (Chromium)", () => {
  let emulator: Emulator;
  let app: AppServer;
  let browser: Browser;
  let stack: EmbeddedStack | undefined;

  beforeAll(async () => {
    stack = await startEmbeddedStack({ shop: SHOP, apiKey: API_KEY, apiSecret: API_SECRET, seed: { seed: 33, customers: 400, years: 3 } });
    ({ emulator, app, browser } = stack);
  }, 300_000);

  afterAll(async () => {
    await stack?.close();
  });

  it("turns the Standard program on with a confirmation and shows its enrolment", async () => {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.goto(emulator.adminUrl(SHOP));
    await page.frameLocator("iframe").getByText("Orders in Shopify").waitFor({ timeout: 90_000 });

    // The analysis must have scored customers before a program can find anyone: the campaign plan
    // counts its targets from the same scores (with the backlog off, "would join" can stay 0, so it
    // is no signal).
    const deadline = Date.now() + 180_000;
    for (;;) {
      await page.goto(emulator.adminUrl(SHOP, "/app/campaigns/new"));
      const text =
        (await page
          .frameLocator("iframe")
          .getByText(/customers get the campaign/)
          .textContent({ timeout: 60_000 })) ?? "";
      if (Number(/([\d,]+) customers get the campaign/.exec(text)?.[1]?.replace(/,/g, "") ?? 0) > 0) break;
      if (Date.now() > deadline) throw new Error("the analysis never scored the shop's customers");
      await page.waitForTimeout(2000);
    }
    await page.goto(emulator.adminUrl(SHOP, "/app/programs"));
    const frame = page.frameLocator("iframe");
    await frame.getByText("Nothing is sent until you turn a program on").waitFor();
    const s = emulator.shop(SHOP);
    expect(discountsOf(s)).toEqual([]);

    // Settings: include customers who went quiet before today, so the first day has members to show.
    await frame.getByLabel("Also enrol customers who went quiet before the program was turned on").first().check();
    await frame.locator("#standard-save").click();
    await frame
      .getByText(/would join on the first day/)
      .first()
      .waitFor();

    await frame.locator("#standard-on").click();
    const dialog = frame.getByRole("dialog");
    await dialog.getByText(/held out at random and receive nothing/).waitFor();
    await expect(dialog.textContent()).resolves.toMatch(/win-back emails on Day 0, Day 3, Day 10 after they join/);
    await expect(dialog.textContent()).resolves.toMatch(/pauses itself/);
    await dialog.getByRole("button", { name: "Turn on" }).click();

    const until = Date.now() + 120_000;
    for (;;) {
      await page.goto(emulator.adminUrl(SHOP, "/app/programs"));
      const f = page.frameLocator("iframe");
      await f.getByText("Standard program").waitFor({ timeout: 30_000 });
      // On, members enrolled, and the day finished (its guardrail check is the run's last step).
      if (
        (await f.locator("#standard-off").count()) &&
        (await f.getByText("Week enrolled").count()) &&
        (await f.locator("#standard-guardrail").count())
      )
        break;
      if (Date.now() > until) {
        await page.screenshot({ path: path.join(ROOT, "test-results", "programs-failure.png"), fullPage: true });
        console.error(
          app.logs
            .join("")
            .split("\n")
            .filter((l) => /program|error|Error/i.test(l) && !/^(GET|POST) /.test(l))
            .slice(-60)
            .join("\n"),
        );
        throw new Error("the program never enrolled anyone");
      }
      await page.waitForTimeout(2000);
    }
    const f = page.frameLocator("iframe");
    await f.getByText("Enrolled").first().waitFor();
    await f.locator("#standard-guardrail").waitFor();
    // Shopify holds the program's code (no end date: each member's offer ends days after they joined) and segment.
    const ours = discountsOf(s).filter((d) => d.title.startsWith("Winback: Always-on win-back (Standard)"));
    expect(ours).toHaveLength(1);
    expect(segmentsOf(s).filter((x) => x.query.startsWith("customer_tags CONTAINS 'winback-"))).toHaveLength(1);
    // The VIP program was left off: nothing for it.
    expect(discountsOf(s).filter((d) => d.title.includes("(VIP)"))).toEqual([]);
    // The screenshot shows the program that is on (the VIP card, off, is above it).
    await f.getByText("Standard program").scrollIntoViewIfNeeded();
    await page.waitForTimeout(800);
    const shot = path.join(SCREENSHOT_DIR, "programs.png");
    await page.screenshot({ path: shot, fullPage: true });
    mkdirSync(path.join(ROOT, "docs", "screenshots"), { recursive: true });
    copyFileSync(shot, path.join(ROOT, "docs", "screenshots", "programs.png"));
    await ctx.close();
  }, 420_000);
});
