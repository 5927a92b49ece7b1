import { beforeAll, describe, expect, it } from "vitest";
import { appRequest as req, setAppEnv, settle, TEST_APP } from "../support/app-env";

setAppEnv();

const { loader: pageLoader, action: pageAction } = await import("../../app/routes/app.campaigns.$id");
const { action: planAction, loader: planLoader } = await import("../../app/routes/app.campaigns.new");
const { loader: settingsLoader, action: settingsAction } = await import("../../app/routes/app.settings.campaigns");
const { database } = await import("../../app/db.server");
const { env } = await import("../../app/env.server");
const { defaultCampaignSettings } = await import("../../app/domain/campaigns");
const { seedShop } = await import("../outreach/support");

const SHOP = TEST_APP.shop;
const OTHER = "someone-else.myshopify.com";

async function insertCampaign(id: string, shop: string, status: string) {
  await database.sql.query(
    `INSERT INTO "Campaign" (id, shop, name, status, settings, tag, "discountCode", "createdAt", "updatedAt") VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, now(), now())`,
    [id, shop, `Campaign ${id}`, status, JSON.stringify(defaultCampaignSettings()), `winback-${id}`, `BACK-${id}`.toUpperCase()],
  );
}

beforeAll(async () => {
  await database.ready();
  await database.prisma.session.create({
    data: {
      id: `offline_${SHOP}`,
      shop: SHOP,
      state: "s",
      isOnline: false,
      scope: env().SCOPES,
      accessToken: "shpat_test",
      expires: new Date(Date.now() + 86_400_000),
    },
  });
  await seedShop(database.sql, SHOP, "UTC");
  await seedShop(database.sql, OTHER, "UTC");
  await insertCampaign("own-campaign-1", SHOP, "paused");
  await insertCampaign("foreign-campaign-1", OTHER, "active");
  // Twenty target customers, so a launch has someone to win back whatever the random holdout
  // (keyed by the random launch key) draws: with one customer, 10 % of runs drew it into the holdout.
  await database.sql.query(
    `INSERT INTO "CustomerScore" (shop, "customerId", "runId", "lapseClass", overdue, vip, target, branch, orders, "purchaseDays", "totalSpent", aov, "firstOrderAt", "lastOrderAt", "daysSinceLast", "churnRisk")
     SELECT $1, n, 'seed', 'at_risk', true, false, true, 'Standard', 2, 2, 100, 50, now() - interval '300 days', now() - interval '120 days', 120, 0.8
     FROM generate_series(1, 20) AS n`,
    [SHOP],
  );
});

describe("campaign page: client errors are 4xx, not 500 (issue 16)", () => {
  const get = (id: string) => settle(pageLoader({ request: req(`/app/campaigns/${encodeURIComponent(id)}`), params: { id }, context: {} }));
  const post = (id: string, form: Record<string, string>) =>
    settle(pageAction({ request: req(`/app/campaigns/${encodeURIComponent(id)}`, { method: "POST", form }), params: { id }, context: {} }));

  it("answers 404 for an unknown id, another shop's campaign and an id that cannot be one", async () => {
    expect((await get("own-campaign-1")).status).toBe(200);
    expect((await get("no-such-campaign")).status).toBe(404);
    expect((await get("foreign-campaign-1")).status).toBe(404);
    expect((await get("bad\u0000id")).status).toBe(404);
    expect((await get("x".repeat(5000))).status).toBe(404);
  });

  it("actions: 404 for a foreign or unknown campaign, 400 for an unknown intent, 409 for a wrong state", async () => {
    expect((await post("foreign-campaign-1", { intent: "pause" })).status).toBe(404);
    expect((await post("no-such-campaign", { intent: "resume" })).status).toBe(404);
    expect((await post("own-campaign-1", { intent: "explode" })).status).toBe(400);
    expect((await post("own-campaign-1", { intent: "pause" })).status).toBe(409);
    const ok = await post("own-campaign-1", { intent: "resume" });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, message: "Campaign resumed" });
    // The other shop's campaign was not touched by any of this.
    const [foreign] = await database.sql.query<{ status: string }>(`SELECT status FROM "Campaign" WHERE id = 'foreign-campaign-1'`);
    expect(foreign!.status).toBe("active");
  });
});

describe("plan form: numbers, bounds and NUL (issue 16)", () => {
  let launchKey = "";
  const base = () => ({
    intent: "preview",
    stacking: "1",
    combinesShipping: "on",
    discountKind: "percentage",
    discountValue: "15",
    holdoutPercent: "10",
    validityDays: "14",
  });
  const plan = (form: Record<string, string>) =>
    settle(planAction({ request: req("/app/campaigns/new", { method: "POST", form: { launchKey, ...form } }), params: {}, context: {} }));

  beforeAll(async () => {
    launchKey = (await (await settle(planLoader({ request: req("/app/campaigns/new"), params: {}, context: {} }))).json()).launchKey;
  });

  it("a decimal comma is a decimal: '12,5' % off is 12.5, not 125", async () => {
    const res = await plan({ ...base(), discountValue: "12,5", holdoutPercent: "7,5" });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.preview.settings.discount.value).toBe(12.5);
    expect(body.preview.settings.holdoutShare).toBeCloseTo(0.075, 12);
  });

  it("a fixed discount of 1e300 or an ambiguous '1,500' is a field error (400), in the form's own units", async () => {
    const huge = await plan({ ...base(), discountKind: "fixed_amount", discountValue: "1000000000" });
    expect(huge.status).toBe(400);
    expect((await huge.json()).fieldErrors).toEqual({ discountValue: "At most 1,000,000" });
    const exp = await plan({ ...base(), discountKind: "fixed_amount", discountValue: "1e300" });
    expect(exp.status).toBe(400);
    expect((await exp.json()).fieldErrors.discountValue).toMatch(/Enter a number/);
    const amb = await plan({ ...base(), discountKind: "fixed_amount", discountValue: "1,500" });
    expect((await amb.json()).fieldErrors.discountValue).toMatch(/Ambiguous: type 1500 or 1\.5/);
    const holdout = await plan({ ...base(), holdoutPercent: "60", maxUnsubscribePercent: "150" });
    expect((await holdout.json()).fieldErrors).toEqual({ holdoutPercent: "At most 50 %", maxUnsubscribePercent: "At most 100 %" });
    const owner = await plan({ ...base(), owner: "a@x.com, b@y.com" });
    expect((await owner.json()).fieldErrors).toEqual({ owner: "Enter exactly one email address" });
  });

  it("a NUL in the campaign name or a text setting is removed, and the launch goes through", async () => {
    const res = await plan({
      ...base(),
      intent: "launch",
      name: "Spring\u0000 win-back",
      conciergeRole: "Head\u0000 of care",
      owner: "boss@shop.test",
    });
    expect(res.status).toBe(200);
    const { campaignId } = await res.json();
    const [row] = await database.sql.query<{ name: string; settings: { vip: { owner: string; conciergeRole: string } } }>(
      `SELECT name, settings FROM "Campaign" WHERE id = $1`,
      [campaignId],
    );
    expect(row!.name).toBe("Spring win-back");
    expect(row!.settings.vip.conciergeRole).toBe("Head of care");
    expect(row!.settings.vip.owner).toBe("boss@shop.test");
  });
});

describe("campaign settings route (issue 13)", () => {
  const post = (form: Record<string, string>) =>
    settle(settingsAction({ request: req(`/app/settings/campaigns`, { method: "POST", form }), params: {}, context: {} }));

  it("loads the defaults, saves touch days, and answers 400 with field errors for a bad value", async () => {
    const page = await settle(settingsLoader({ request: req(`/app/settings/campaigns`), params: {}, context: {} }));
    expect(page.status).toBe(200);
    expect((await page.json()).settings.standard.touchDays).toEqual([0, 3, 10]);
    const ok = await post({
      standardTouchDays: "0, 4, 9",
      vipTouchDays: "0, 6",
      validityDays: "12",
      graceDays: "1",
      reactivationWindowDays: "40",
    });
    expect(ok.status).toBe(200);
    expect((await ok.json()).settings).toMatchObject({
      standard: { touchDays: [0, 4, 9] },
      vip: { touchDays: [0, 6] },
      reactivationWindowDays: 40,
      discount: { validityDays: 12, graceDays: 1 },
    });
    const bad = await post({ standardTouchDays: "zero", validityDays: "12" });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors).toHaveProperty("standardTouchDays");
  });
});
