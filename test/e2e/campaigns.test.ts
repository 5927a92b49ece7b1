import path from "node:path";
import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { ROOT, type AppServer } from "../support/app-server";
import { hasChromium, newContext, SCREENSHOT_DIR } from "../support/browser";
import { startEmbeddedStack, type EmbeddedStack } from "../support/embedded";
import type { Emulator } from "../shopify-emulator";
import { discountsOf } from "../shopify-emulator/modules/discounts";
import { segmentsOf } from "../shopify-emulator/modules/marketing";

const SHOP = "campaigns-e2e.myshopify.com";
const API_KEY = "winback-campaigns-e2e-key";
const API_SECRET = "winback-campaigns-e2e-secret";

/**
 * Plan → confirm → launch in the emulated admin; the campaign page follows the launch job to the
 * measurement view; Shopify holds one segment and one discount; the outreach queue lists the VIPs.
 */
describe.skipIf(!hasChromium)("win-back campaign in the admin frame (Chromium)", () => {
  let emulator: Emulator;
  let app: AppServer;
  let browser: Browser;
  let stack: EmbeddedStack | undefined;

  beforeAll(async () => {
    stack = await startEmbeddedStack({ shop: SHOP, apiKey: API_KEY, apiSecret: API_SECRET, seed: { seed: 21, customers: 400, years: 3 } });
    ({ emulator, app, browser } = stack);
  }, 300_000);

  afterAll(async () => {
    await stack?.close();
  });

  it("plans, launches with confirmation, shows the campaign page, and the outreach queue lists the VIPs", async () => {
    const shots = SCREENSHOT_DIR;
    mkdirSync(shots, { recursive: true });
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.setViewportSize({ width: 1400, height: 1000 });
    // Install (token exchange), then the sync and the analysis run as jobs.
    await page.goto(emulator.adminUrl(SHOP));
    await page.frameLocator("iframe").getByText("Orders in Shopify").waitFor({ timeout: 90_000 });

    let treated = 0;
    const deadline = Date.now() + 180_000;
    for (;;) {
      await page.goto(emulator.adminUrl(SHOP, "/app/campaigns/new"));
      const text = await page
        .frameLocator("iframe")
        .getByText(/customers get the campaign/)
        .textContent({ timeout: 60_000 });
      treated = Number(/([\d,]+) customers get the campaign/.exec(text ?? "")?.[1]?.replace(/,/g, "") ?? 0);
      if (treated > 0) break;
      if (Date.now() > deadline) throw new Error("the analysis never marked target customers");
      await page.waitForTimeout(2000);
    }
    const frame = page.frameLocator("iframe");
    await frame.locator("#plan-table").getByText("Standard", { exact: true }).waitFor();
    await frame
      .locator("#plan-table")
      .getByText(/Dedicated CS check-in/)
      .waitFor();
    // Editing the offer updates the plan live (the action recomputes it on the server).
    await frame.getByLabel("Percent off").fill("20");
    await frame
      .locator("#plan-table")
      .getByText(/20% off/)
      .waitFor({ timeout: 15_000 });
    await page.screenshot({ path: path.join(shots, "campaign-plan.png"), fullPage: true });

    await frame.getByRole("button", { name: "Launch…" }).click();
    const summary = frame.locator("#launch-summary");
    await summary.waitFor();
    // Standard customers carry the code's tag, VIPs their own (ADR 077); together they are the treated customers.
    const tagged = /on ([\d,]+) Standard customers, and “[^”]+” on ([\d,]+) VIPs/.exec((await summary.textContent()) ?? "");
    expect(tagged).not.toBeNull();
    expect(Number(tagged![1]!.replace(/,/g, "")) + Number(tagged![2]!.replace(/,/g, ""))).toBe(treated);
    await expect(summary.textContent()).resolves.toMatch(/emails on day 0: the treated customers subscribed to email marketing/);
    await expect(summary.textContent()).resolves.toMatch(/One discount code COMEBACK-[0-9A-Z]{6}/);
    // Double click on the confirmation: one campaign, one of each object in Shopify.
    await frame.getByRole("button", { name: "Launch", exact: true }).dblclick();

    try {
      await frame.getByText(/Cumulative reactivation, treated vs holdout/).waitFor({ timeout: 120_000 });
      // Active: the page offers Pause once the launch job finished every step.
      await frame.getByRole("button", { name: "Pause" }).waitFor({ timeout: 60_000 });
    } catch (e) {
      await page.screenshot({ path: path.join(ROOT, "test-results", "campaign-launch-failure.png"), fullPage: true });
      console.error(
        app.logs
          .join("")
          .split("\n")
          .filter((l) => /campaign|error|Error|jobs/i.test(l) && !/^(GET|POST) /.test(l))
          .slice(-60)
          .join("\n"),
      );
      throw e;
    }
    // The split the plan showed is the split the launch made.
    await frame.getByText(new RegExp(`treated \\(\\d+ of ${treated.toLocaleString("en-US")}\\)`)).waitFor({ timeout: 10_000 });
    const s = emulator.shop(SHOP);
    const ours = discountsOf(s).filter((d) => d.code.startsWith("COMEBACK-"));
    expect(ours).toHaveLength(1);
    expect(segmentsOf(s).filter((x) => x.query.startsWith("customer_tags CONTAINS 'winback-"))).toHaveLength(1);
    // Four simulated weeks of shoppers: treated customers (our tag / segment) come back more often;
    // their orders reach the app through orders/create webhooks.
    const tag = /'([^']+)'/.exec(segmentsOf(s).find((x) => x.query.startsWith("customer_tags CONTAINS 'winback-"))!.query)![1]!;
    const sim = emulator.simulateShoppers(SHOP, { days: 30, seed: 5, uplift: 4, treatedTags: [tag] });
    expect(sim.treatedOrders).toBeGreaterThan(0);
    // Our discount's title carries the campaign id.
    const campaignUrl = `/app/campaigns/${/\[([^\]]+)\]$/.exec(ours[0]!.title)![1]}`;
    const until = Date.now() + 90_000;
    for (;;) {
      await page.goto(emulator.adminUrl(SHOP, campaignUrl));
      const rate = await page
        .frameLocator("iframe")
        .locator("#reactivation-treated")
        .textContent({ timeout: 30_000 })
        .catch(async (e) => {
          await page.screenshot({ path: path.join(ROOT, "test-results", "campaign-measure-failure.png"), fullPage: true });
          console.error(
            campaignUrl,
            app.logs
              .join("")
              .split("\n")
              .filter((l) => /error|Error/i.test(l))
              .slice(-40)
              .join("\n"),
          );
          throw e;
        });
      if (rate && rate !== "0.0%") break;
      if (Date.now() > until) throw new Error("simulated orders never reached the campaign page");
      await page.waitForTimeout(2000);
    }
    await expect(
      page
        .frameLocator("iframe")
        .getByText(/95% CI .* to /)
        .first()
        .textContent(),
    ).resolves.toBeTruthy();
    await page.waitForTimeout(800); // let the chart mount
    await page.screenshot({ path: path.join(shots, "campaign.png"), fullPage: true });

    await page.goto(emulator.adminUrl(SHOP, "/app/outreach"));
    const rows = page.frameLocator("iframe").locator("table tbody tr");
    await rows.first().waitFor({ timeout: 60_000 });
    expect(await rows.count()).toBeGreaterThan(0);
    await ctx.close();
  }, 420_000);
});
