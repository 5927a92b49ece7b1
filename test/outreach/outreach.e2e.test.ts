import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import type { AppServer } from "../support/app-server";
import { hasChromium, newContext, SCREENSHOT_DIR } from "../support/browser";
import { startEmbeddedStack, type EmbeddedStack } from "../support/embedded";
import { createTestDb, TEST_DATABASE_URL, type TestDb } from "../support/db";
import type { Emulator } from "../shopify-emulator";
import { createOutreachTasks } from "../../app/outreach/create-tasks";
import { settings } from "./support";

const SHOP = "outreach-e2e.myshopify.com";
const API_KEY = "winback-outreach-e2e-key";
const API_SECRET = "winback-outreach-e2e-secret";

/**
 * The Outreach page in the admin frame, against the built app. The app and the test share a real
 * PostgreSQL database (the embedded one cannot be opened by two processes), so the test can create
 * the VIP tasks a launch would create once the sync has filled the customers.
 */
describe.skipIf(!hasChromium || !TEST_DATABASE_URL)("Outreach page in the admin frame (Chromium, PostgreSQL)", () => {
  let emulator: Emulator;
  let app: AppServer;
  let browser: Browser;
  let stack: EmbeddedStack | undefined;
  let t: TestDb;
  let vips: Array<{ id: string; name: string }>;

  beforeAll(async () => {
    t = await createTestDb("postgres");
    stack = await startEmbeddedStack({
      shop: SHOP,
      apiKey: API_KEY,
      apiSecret: API_SECRET,
      seed: { seed: 11, customers: 120, years: 2 },
      databaseUrl: t.url!,
    });
    ({ emulator, app, browser } = stack);
  }, 300_000);

  afterAll(async () => {
    await stack?.close();
    await t?.drop();
  });

  it("lists the VIPs with perks, opens a task, marks it contacted and keeps a note", async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    // Installing (first load) starts the sync; wait until it merged customers and orders.
    await page.goto(emulator.adminUrl(SHOP));
    const frame = page.frameLocator("iframe");
    await frame.getByText("Orders in Shopify").waitFor({ timeout: 90_000 });
    // Wait for the sync's outcome, not for a number of polls: on a busy machine it may take longer
    // (the test's own timeout is the only deadline); a failed run fails at once with its status.
    for (;;) {
      const [r] = await t.db.sql.query<{ status: string }>(
        `SELECT status FROM "SyncRun" WHERE shop = $1 ORDER BY "startedAt" DESC LIMIT 1`,
        [SHOP],
      );
      if (r?.status === "completed") break;
      if (r && r.status !== "running" && r.status !== "pending") throw new Error(`sync did not complete: ${r.status}`);
      await new Promise((res) => setTimeout(res, 500));
    }
    vips = await t.db.sql.query<{ id: string; name: string }>(
      `SELECT id::text AS id, trim(coalesce("firstName", '') || ' ' || coalesce("lastName", '')) AS name FROM "Customer" WHERE shop = $1 AND "orderCount" > 0 ORDER BY "totalSpent" DESC, id LIMIT 6`,
      [SHOP],
    );
    const launchAt = new Date(Date.now() - 3 * 86_400_000);
    expect(
      await createOutreachTasks(t.db.sql, {
        shop: SHOP,
        campaignId: "e2e-campaign",
        launchAt,
        settings: settings({ conciergeName: "Ana" }),
        customerIds: vips.map((v) => v.id),
      }),
    ).toEqual({ created: 6, existing: 0 });

    await page.goto(emulator.adminUrl(SHOP, "/app/outreach"));
    const queue = frame.locator('[data-testid="outreach-queue"]');
    await queue.waitFor({ timeout: 60_000 });
    await expect(queue.locator("tbody tr").count()).resolves.toBe(6);
    for (const v of vips.filter((x) => x.name)) await queue.getByText(v.name, { exact: true }).waitFor();
    const [{ perkText }] = await t.db.sql.query<{ perkText: string }>(
      `SELECT "perkText" FROM "OutreachTask" WHERE "customerId" = $1::bigint`,
      [vips[0]!.id],
    );
    await queue.getByText(perkText).first().waitFor();
    await queue
      .getByText(/Overdue/)
      .first()
      .waitFor(); // launched 3 days ago, nobody contacted
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, "outreach.png"), fullPage: true });

    // Open the top VIP, mark contacted, add a note.
    await queue.getByRole("link", { name: vips[0]!.name || `Customer ${vips[0]!.id}` }).click();
    const dialog = frame.getByRole("dialog");
    try {
      await dialog.getByTestId("outreach-script").waitFor({ timeout: 90_000 });
    } catch (e) {
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, "outreach-debug.png"), fullPage: true });
      console.log(
        "FRAMES",
        page.frames().map((f) => f.url()),
      );
      console.log("LOGS", app.logs.join("").slice(-4000));
      throw e;
    }
    await expect(dialog.getByTestId("outreach-script").textContent()).resolves.toContain("This is Ana");
    await dialog.getByRole("button", { name: "Mark contacted" }).click();
    await dialog.getByRole("button", { name: "Mark responded" }).waitFor({ timeout: 90_000 });
    await dialog.getByLabel("New note").fill("Loves the new tea blends; call back Friday");
    await dialog.getByRole("button", { name: "Add note" }).click();
    await dialog.getByRole("listitem").filter({ hasText: "Loves the new tea blends; call back Friday" }).waitFor({ timeout: 90_000 });
    await expect(dialog.getByLabel("New note").inputValue()).resolves.toBe(""); // cleared for the next note
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, "outreach-task.png"), fullPage: true });
    const [task] = await t.db.sql.query<{ status: string; notes: string }>(
      `SELECT t.status, (SELECT count(*)::text FROM "OutreachNote" n WHERE n."taskId" = t.id) AS notes FROM "OutreachTask" t WHERE t."customerId" = $1::bigint`,
      [vips[0]!.id],
    );
    expect(task).toEqual({ status: "contacted", notes: "1" });

    // Close, filter to "Contacted" with the Status filter: one row.
    await dialog.getByRole("button", { name: "Close" }).first().click();
    await dialog.waitFor({ state: "detached", timeout: 90_000 });
    await queue.locator(".Polaris-Filters-FilterPill__ToggleButton", { hasText: "Status" }).click();
    await frame.getByRole("checkbox", { name: "Contacted" }).click(); // selection comes back from the loader, so not .check()
    await queue.locator("tbody tr").nth(1).waitFor({ state: "detached", timeout: 90_000 });
    await expect(queue.locator("tbody tr").count()).resolves.toBe(1);
    await ctx.close();
  }, 240_000);
});
