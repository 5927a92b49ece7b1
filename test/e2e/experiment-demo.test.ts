import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { DEMO_DEFAULTS } from "../../scripts/demo-defaults";
import { hasChromium, newContext, SCREENSHOT_DIR } from "../support/browser";
import { startEmbeddedStack, type EmbeddedStack } from "../support/embedded";
import type { Emulator } from "../shopify-emulator";
import { discountsOf } from "../shopify-emulator/modules/discounts";
import { findSegment } from "../shopify-emulator/modules/marketing";
import { matchesSegment } from "../shopify-emulator/segment-query";
import { averageOrderCents, OFFER_RESPONSE, offerMultiplier, offerRelativeValue } from "../shopify-emulator/shoppers";

const SHOP = DEMO_DEFAULTS.shop;
const API_KEY = "winback-demo-key";
const API_SECRET = "winback-demo-secret";

/**
 * Issue 15's demo promise (ADR 109): on the demo's default shop (scripts/demo-defaults.ts), a
 * three-offer experiment — 10% off, 25% off, free shipping — launched from the plan page, then one
 * press of the admin frame's "Simulate 30 days of shoppers" (no test hook: the emulator's shoppers
 * respond to the offer their code gives them), and the campaign page's Experiment card names the
 * offer with the strongest simulated response, with its always-valid interval against the holdout.
 */
describe.skipIf(!hasChromium)("offer experiment on the demo shop (Chromium)", () => {
  let emulator: Emulator;
  let browser: Browser;
  let stack: EmbeddedStack | undefined;

  beforeAll(async () => {
    stack = await startEmbeddedStack({
      shop: SHOP,
      apiKey: API_KEY,
      apiSecret: API_SECRET,
      seed: { seed: DEMO_DEFAULTS.seed, customers: DEMO_DEFAULTS.customers, years: DEMO_DEFAULTS.years },
    });
    ({ emulator, browser } = stack);
  }, 300_000);

  afterAll(async () => {
    await stack?.close();
  });

  it("10% vs 25% vs free shipping: after one simulated month the page names the offer shoppers responded to most", async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.goto(emulator.adminUrl(SHOP));
    const frame = page.frameLocator("iframe");
    await frame.getByText("Orders in Shopify").waitFor({ timeout: 90_000 });

    // The plan page once the analysis has marked targets.
    const deadline = Date.now() + 240_000;
    for (;;) {
      await page.goto(emulator.adminUrl(SHOP, "/app/campaigns/new"));
      const text = await frame.getByText(/customers get the campaign/).textContent({ timeout: 60_000 });
      if (Number(/([\d,]+) customers get the campaign/.exec(text ?? "")?.[1]?.replace(/,/g, "") ?? 0) > 0) break;
      if (Date.now() > deadline) throw new Error("the analysis never marked target customers");
      await page.waitForTimeout(2000);
    }
    await frame.getByLabel("Test offers against each other").check();
    await frame.getByLabel("Value", { exact: true }).nth(1).fill("25");
    await frame.getByRole("button", { name: "Add an offer" }).click();
    await frame.getByLabel("Offer C").selectOption("free_shipping");
    await frame.getByText(/^C · Free shipping$/).waitFor({ timeout: 30_000 });

    await frame.getByRole("button", { name: "Launch…" }).click();
    const summary = frame.locator("#launch-summary");
    await expect(summary.textContent()).resolves.toMatch(
      /-A \(10% off, [\d,]+\), \S+-B \(25% off, [\d,]+\), \S+-C \(Free shipping, [\d,]+\)/,
    );
    await frame.getByRole("button", { name: "Launch", exact: true }).click();
    // Tagging ~700 members is a bulk mutation, then one segment and one code per offer.
    try {
      await frame.getByRole("button", { name: "Pause" }).waitFor({ timeout: 420_000 });
    } catch (e) {
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, "experiment-demo-launch-failure.png"), fullPage: true });
      console.error(
        stack!.app.logs
          .join("")
          .split("\n")
          .filter((l) => /campaign|error|Error|jobs/i.test(l) && !/^(GET|POST) /.test(l))
          .slice(-60)
          .join("\n"),
      );
      throw e;
    }
    await frame.getByText("No winner yet").waitFor();

    // Shopify now holds one code per offer, each limited to its offer's segment.
    const s = emulator.shop(SHOP);
    const codes = discountsOf(s).filter((d) => /^COMEBACK-\w+-[ABC]$/.test(d.code));
    expect(codes.map((d) => d.value.kind).sort()).toEqual(["free_shipping", "percentage", "percentage"]);
    const campaignId = /\[([^\]]+)\]$/.exec(codes[0]!.title)![1]!;

    // The strongest simulated response, from the emulator's offer model: the arm whose members' mean
    // multiplier is highest (what each member's code is worth relative to their own average order).
    const launchedAt = Date.now();
    const meanMultiplier = Object.fromEntries(
      codes.map((d) => {
        const seg = findSegment(s, d.context.kind === "segments" ? d.context.ids[0]! : "")!;
        const members: number[] = [];
        for (let c = 0; c < s.data.customers.length; c++) if (matchesSegment(s, c, seg.expr)) members.push(c);
        const m = members.map((c) =>
          offerMultiplier(offerRelativeValue(d, averageOrderCents(s, c, launchedAt), OFFER_RESPONSE.shippingRate * 100)),
        );
        return [d.code.slice(-1), m.reduce((a, b) => a + b, 0) / m.length];
      }),
    );
    const strongest = Object.entries(meanMultiplier).sort((a, b) => b[1] - a[1])[0]![0];
    expect(strongest).toBe("B");

    // The admin frame's own button, with its random seed pinned so that a failure can be replayed.
    await page.route("**/__emulator/shops/*/simulate", (route) =>
      route.continue({ postData: JSON.stringify({ ...JSON.parse(route.request().postData() ?? "{}"), seed: 20261204 }) }),
    );
    await page.locator("#emu-simulate").click();
    await expect(
      page
        .locator("#emu-simulate-result")
        .getByText(/orders placed/)
        .textContent({ timeout: 60_000 }),
    ).resolves.toMatch(/^\d+ orders placed \(\d+ with a win-back code\)/);

    // The orders reach the app as orders/create webhooks; the page names the winner once they are in.
    const winner = frame.getByText(/^Winner: /);
    const until = Date.now() + 240_000;
    for (;;) {
      await page.goto(emulator.adminUrl(SHOP, `/app/campaigns/${campaignId}`));
      await frame.getByRole("heading", { name: "Experiment" }).waitFor({ timeout: 60_000 });
      if (await winner.isVisible()) break;
      if (Date.now() > until) {
        await page.screenshot({ path: path.join(SCREENSHOT_DIR, "experiment-demo-failure.png"), fullPage: true });
        throw new Error(`no winner named: ${await frame.locator("table").first().textContent()}`);
      }
      await page.waitForTimeout(3000);
    }
    await expect(winner.textContent()).resolves.toBe(`Winner: ${strongest} · 25% off`);

    // Every offer shows its lift against the holdout with an interval; the winner's is above zero.
    const rows = frame.locator("table tbody tr").filter({ hasText: /^[ABC] · (10% off|25% off|Free shipping)/ });
    await expect(rows.count()).resolves.toBe(3);
    const lift = /([+-]\d+\.\d) pts \(([+-]\d+\.\d) to ([+-]\d+\.\d)\)/;
    for (let i = 0; i < 3; i++) await expect(rows.nth(i).textContent()).resolves.toMatch(lift);
    const winnerRow = rows.filter({ hasText: `${strongest} · 25% off` });
    const [, estimate, low, high] = lift.exec((await winnerRow.textContent()) ?? "")!.map(Number);
    expect(low).toBeGreaterThan(0);
    expect(low).toBeLessThan(estimate!);
    expect(high).toBeGreaterThan(estimate!);
    await frame.getByText(/Intervals stay valid however often you look/).waitFor();
    await frame.getByRole("button", { name: "Promote to always-on program" }).waitFor();
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, "experiment-demo.png"), fullPage: true });
    await ctx.close();
  }, 900_000);
});
