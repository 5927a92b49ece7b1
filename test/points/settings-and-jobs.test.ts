import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS } from "../../app/domain/points";
import { onOrderChangedPoints, onSyncCompletedPoints, pointsJobDefinitions, POINTS_JOBS, type PointsJobDeps } from "../../app/points/jobs";
import { loadLedgerRows } from "../../app/points/store";
import { parseSettingsForm, themeEditorUrl } from "../../app/points/settings-form";
import { createAdminClient } from "../../app/shopify/graphql-client";
import { startEmulator, type Emulator } from "../shopify-emulator";
import { metafieldStore } from "../shopify-emulator/modules/metafields";
import { createTestDb, type TestDb } from "../support/db";
import { turnPointsOnForTest } from "./support";

const form = (o: Record<string, string>) => {
  const f = new FormData();
  for (const [k, v] of Object.entries({
    pointsPerUnit: "1",
    lotLifetimeDays: "365",
    ratePoints: "100",
    rateValue: "5",
    nudgeOffsetsDays: "14, 7, 2",
    bannerWindowDays: "14",
    ...o,
  }))
    f.set(k, v);
  return f;
};

describe("points settings form and theme editor link", () => {
  it("parses a valid form, and names the field of every problem", () => {
    const ok = parseSettingsForm(form({ rateValue: "2.5", nudgeOffsetsDays: "30 10,3" }));
    expect(ok).toEqual({
      ok: true,
      settings: {
        pointsPerUnit: 1,
        lotLifetimeDays: 365,
        redemptionRate: { points: 100, value: 2.5 },
        nudgeOffsetsDays: [30, 10, 3],
        bannerWindowDays: 14,
      },
    });
    const bad = parseSettingsForm(form({ lotLifetimeDays: "0", ratePoints: "abc", nudgeOffsetsDays: "7, 7" }));
    expect(bad.ok).toBe(false);
    // Every problem after one save: a typing error no longer hides the range errors of other fields.
    expect(Object.keys((bad as { errors: Record<string, string> }).errors).sort()).toEqual([
      "lotLifetimeDays",
      "nudgeOffsetsDays",
      "ratePoints",
    ]);
    const bad2 = parseSettingsForm(form({ lotLifetimeDays: "0", nudgeOffsetsDays: "7, 7", bannerWindowDays: "90" }));
    expect(Object.keys((bad2 as { errors: Record<string, string> }).errors).sort()).toEqual([
      "bannerWindowDays",
      "lotLifetimeDays",
      "nudgeOffsetsDays",
    ]);
    expect(parseSettingsForm(form({ nudgeOffsetsDays: "7, soon" }))).toMatchObject({
      ok: false,
      errors: { nudgeOffsetsDays: expect.stringMatching(/Whole days/) },
    });
  });

  it("reads numbers as merchants type them and bounds every rate (issue 16: '1,5' was 15, 1e308 was accepted)", () => {
    expect(parseSettingsForm(form({ rateValue: "2,5", pointsPerUnit: "1,5" }))).toMatchObject({
      ok: true,
      settings: { pointsPerUnit: 1.5, redemptionRate: { value: 2.5 } },
    });
    expect(parseSettingsForm(form({ ratePoints: "1.000" }))).toMatchObject({ ok: true, settings: { redemptionRate: { points: 1000 } } });
    expect(parseSettingsForm(form({ rateValue: "1e308" }))).toMatchObject({
      ok: false,
      errors: { rateValue: expect.stringMatching(/Enter a number/) },
    });
    expect(parseSettingsForm(form({ rateValue: "1,500" }))).toMatchObject({
      ok: false,
      errors: { rateValue: expect.stringMatching(/Ambiguous: type 1500 or 1\.5/) },
    });
    expect(parseSettingsForm(form({ rateValue: "1000000.01" }))).toMatchObject({ ok: false, errors: { rateValue: "At most 1,000,000" } });
    expect(parseSettingsForm(form({ ratePoints: "2000000" }))).toMatchObject({ ok: false, errors: { ratePoints: "At most 1,000,000" } });
    expect(parseSettingsForm(form({ pointsPerUnit: "1001" }))).toMatchObject({ ok: false, errors: { pointsPerUnit: "At most 1,000" } });
    // NUL (lib/text's one rule) is removed before the number is read.
    expect(parseSettingsForm(form({ bannerWindowDays: "1\u00004" }))).toMatchObject({ ok: true, settings: { bannerWindowDays: 14 } });
  });

  it("links to the theme editor's app embeds with ours activated", () => {
    expect(themeEditorUrl("demo.myshopify.com", "abc123")).toBe(
      "https://demo.myshopify.com/admin/themes/current/editor?context=apps&activateAppId=abc123/points-expiry-banner",
    );
  });
});

describe("points jobs and feature hooks", () => {
  const SHOP = "points-jobs.myshopify.com";
  let t: TestDb;
  let emu: Emulator;
  const sent: Array<{ queue: string; payload: any; opts?: any }> = [];
  let deps: PointsJobDeps;
  beforeAll(async () => {
    t = await createTestDb("pglite");
    emu = await startEmulator({ apiKey: "k", apiSecret: "s" });
    await emu.addShop(SHOP, { seed: 2, customers: 3, years: 1 });
    const token = emu.issueAccessToken(SHOP);
    deps = {
      sql: t.db.sql,
      client: async (shop) => createAdminClient({ shop, accessToken: token, urlTemplate: `${emu.url}/{shop}`, sleep: async () => {} }),
      queue: { send: async (queue, payload, opts) => (sent.push({ queue, payload, opts }), "id") },
      nudges: async () => ({
        sql: t.db.sql,
        messenger: { sendEmail: async () => ({ status: "skipped", reason: "no_mail_server" }) },
        flow: { fire: async () => "fired" },
      }),
      now: () => new Date("2026-11-20T08:00:00Z"),
    };
    await turnPointsOnForTest(t.db.sql, SHOP);
  });
  afterAll(async () => {
    await emu.stop();
    await t.drop();
  });

  it("an order change updates the ledger and asks for one metafield sync per shop; a completed sync rebuilds and schedules tomorrow's nudges", async () => {
    const cid = String(emu.shop(SHOP).customerLegacyId(0));
    await t.db.sql.query(
      `INSERT INTO "Order" (shop, id, "customerId", "processedAt", "createdAt", "updatedAt", "currentTotal", "totalPrice", currency) VALUES ($1, 1, $2, '2026-11-01', '2026-11-01', '2026-11-01', 42, 42, 'USD')`,
      [SHOP, cid],
    );
    await onOrderChangedPoints(deps, { shop: SHOP, orderId: "1", customerId: cid });
    expect((await loadLedgerRows(t.db.sql, SHOP))[0]).toMatchObject({ customerId: cid, balance: 42 });
    expect(sent.at(-1)).toEqual({ queue: POINTS_JOBS.sync, payload: { shop: SHOP }, opts: { singletonKey: `points.sync:${SHOP}` } });
    await onSyncCompletedPoints(deps, SHOP);
    expect(sent.at(-1)).toEqual({
      queue: POINTS_JOBS.nudges,
      payload: { shop: SHOP },
      opts: { runAt: new Date("2026-11-21T09:00:00Z"), singletonKey: `points.nudges:${SHOP}:2026-11-21` },
    });
  });

  it("points.sync writes the metafields (definitions first); points.nudges runs, asks for a sync and reschedules itself", async () => {
    const defs = pointsJobDefinitions(() => deps);
    const sync = defs.find((d) => d.queue === POINTS_JOBS.sync)!;
    await sync.handler(sync.payload.parse({ shop: SHOP }), { jobId: "j1", attempt: 1 });
    const store = metafieldStore(emu.shop(SHOP));
    expect(store.definitions).toHaveLength(4);
    // the customer's values, and the shop's redemption rate (the app's default: 100 points = 5.00)
    expect(
      Object.values(store.values)
        .map((m) => [m.key, m.value])
        .sort(),
    ).toEqual([
      ["points_balance", "42"],
      ["points_expire_at", new Date(Date.parse("2026-11-01T00:00:00Z") + 365 * DAY_MS).toISOString()],
      ["points_expiring", "42"],
      ["reward", JSON.stringify({ points: 100, amount: 5 })],
    ]);
    const nudges = defs.find((d) => d.queue === POINTS_JOBS.nudges)!;
    sent.length = 0;
    await nudges.handler(nudges.payload.parse({ shop: SHOP }), { jobId: "j2", attempt: 1 });
    expect(sent.map((s) => s.queue)).toEqual([POINTS_JOBS.sync, POINTS_JOBS.nudges]);
    expect(() => sync.payload.parse({ shop: "not a shop" })).toThrow();
  });
});
