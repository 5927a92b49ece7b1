import { beforeAll, describe, expect, it } from "vitest";
import { appRequest as req, setAppEnv, settle, TEST_APP } from "../support/app-env";

setAppEnv();

const { loader: segmentsLoader } = await import("../../app/routes/app.segments");
const { loader: exportLoader } = await import("../../app/routes/app.segments.export");
const { loader: settingsLoader, action: settingsAction } = await import("../../app/routes/app.settings._index");
const { database } = await import("../../app/db.server");
const { env } = await import("../../app/env.server");
const { jobDefinitions, features } = await import("../../app/app.server");
const { runAnalysis } = await import("../../app/analysis/run-analysis");
const { insertCustomers, insertOrders, insertShop } = await import("./support");

const SHOP = TEST_APP.shop;

const FORM = {
  "lapse.atRiskDays": "60",
  "lapse.highRiskDays": "95",
  "lapse.lostDays": "365",
  "overdue.minPurchaseDays": "3",
  "overdue.gapMultiplier": "2",
  "vip.mode": "percentile",
  "vip.percentile": "80",
  "prediction.horizonDays": "90",
  "prediction.valueHorizonDays": "365",
  "prediction.minCustomers": "30",
  "prediction.minRepeatCustomers": "10",
  "norm.lookbackDays": "365",
  "norm.windowDays": "365",
  timeUnit: "week",
};

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
  await insertShop(database.sql, SHOP, "UTC");
  await insertCustomers(database.sql, [1, 2, 3], SHOP);
  const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
  await insertOrders(
    database.sql,
    [
      { id: 11, customer: 1, at: day(10), total: "20.00" },
      { id: 12, customer: 2, at: day(100), total: "30.00" },
      { id: 13, customer: 3, at: day(200), total: "500.00" },
    ],
    SHOP,
  );
});

describe("analysis routes with a valid session token", () => {
  it("registers the analysis jobs and hooks in the composition root", () => {
    expect(jobDefinitions.map((d) => d.queue)).toEqual(expect.arrayContaining(["analysis.run", "analysis.daily"]));
    const f = features.find((x) => x.name === "analysis")!;
    expect(typeof f.onSyncCompleted).toBe("function");
    expect(typeof f.onOrderChanged).toBe("function");
    expect(typeof f.afterInstall).toBe("function");
  });

  it("segments: empty before any analysis, then a sorted, filtered page; bad filters come back as a message", async () => {
    const empty = await (await settle(segmentsLoader({ request: req("/app/segments"), params: {}, context: {} }))).json();
    expect(empty).toMatchObject({ asOf: null, page: { total: 0 } });
    await runAnalysis({ sql: database.sql }, SHOP);
    const res = await settle(segmentsLoader({ request: req("/app/segments?sort=daysSinceLast&dir=asc"), params: {}, context: {} }));
    expect(res.status).toBe(200);
    const data = await res.json();
    expect(data.page.rows.map((r: { customerId: string }) => r.customerId)).toEqual(["1", "2", "3"]);
    expect(data.page.rows[0]).toMatchObject({ email: "c1@example.com", lapseClass: "active" });
    const atRisk = await (await settle(segmentsLoader({ request: req("/app/segments?class=at_risk"), params: {}, context: {} }))).json();
    expect(atRisk.page.rows.map((r: { customerId: string }) => r.customerId)).toEqual(["2"]);
    const bad = await (await settle(segmentsLoader({ request: req("/app/segments?class=nope"), params: {}, context: {} }))).json();
    expect(bad.error).toMatch(/class/);
  });

  it("export streams the filtered CSV; a request without a token gets no data", async () => {
    const res = await settle(exportLoader({ request: req("/app/segments/export?class=high_risk"), params: {}, context: {} }));
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/text\/csv/);
    expect(res.headers.get("Content-Disposition")).toMatch(/attachment; filename="winback-customers-\d{4}-\d{2}-\d{2}-high_risk\.csv"/);
    const lines = (await res.text()).trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^3,1,500,500,/);
    const bad = await settle(exportLoader({ request: req("/app/segments/export?sort=zzz"), params: {}, context: {} }));
    expect(bad.status).toBe(400);
    const anon = await settle(exportLoader({ request: req("/app/segments/export", { token: false }), params: {}, context: {} }));
    expect(anon.status).not.toBe(200);
  });

  it("export: a formula after a line feed is neutralised and a NUL in the filter is ignored (issue 16)", async () => {
    await database.sql.query(`UPDATE "Customer" SET "firstName" = $3, "lastName" = '+SUM(A1)' WHERE shop = $1 AND id = $2`, [
      SHOP,
      3,
      "\n=1+2",
    ]);
    const res = await settle(exportLoader({ request: req("/app/segments/export?class=high%00_risk"), params: {}, context: {} }));
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain(`,"'\n=1+2",'+SUM(A1)\n`);
    expect(text).not.toContain(`,"\n=1+2"`); // what the old guard wrote: a live formula
    const page = await settle(
      segmentsLoader({ request: req("/app/segments?class=high_risk&sort=%00totalSpent"), params: {}, context: {} }),
    );
    expect(page.status).toBe(200);
    expect((await page.json()).query).toMatchObject({ class: "high_risk", sort: "totalSpent" });
  });

  it("settings: invalid input is answered per field and saves nothing; valid input saves and enqueues a recompute", async () => {
    const before = await (await settle(settingsLoader({ request: req("/app/settings"), params: {}, context: {} }))).json();
    expect(before.value.settings.lapse.atRiskDays).toBe(90);
    const bad = await settle(
      settingsAction({
        request: req("/app/settings", { method: "POST", form: { ...FORM, "lapse.highRiskDays": "50" } }),
        params: {},
        context: {},
      }),
    );
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors["lapse.highRiskDays"]).toMatch(/more than/);
    const still = await (await settle(settingsLoader({ request: req("/app/settings"), params: {}, context: {} }))).json();
    expect(still.value.settings.lapse.atRiskDays).toBe(90);
    const ok = await settle(settingsAction({ request: req("/app/settings", { method: "POST", form: FORM }), params: {}, context: {} }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, value: { settings: { lapse: { atRiskDays: 60 }, vip: { percentile: 0.8 } } } });
    const jobs = await database.sql.query<{ queue: string; payload: any }>(`SELECT queue, payload FROM "Job" WHERE queue = 'analysis.run'`);
    expect(jobs).toEqual([{ queue: "analysis.run", payload: { shop: SHOP, reason: "settings" } }]);
    // the queued job, when it runs, applies the new windows: 100 days silent is now high risk (95+)
    const def = jobDefinitions.find((d) => d.queue === "analysis.run")!;
    await def.handler(def.payload.parse(jobs[0]!.payload), { jobId: "j", attempt: 1 });
    const seg = await (await settle(segmentsLoader({ request: req("/app/segments?class=at_risk"), params: {}, context: {} }))).json();
    expect(seg.page.rows).toHaveLength(0);
    const hr = await (
      await settle(segmentsLoader({ request: req("/app/segments?class=high_risk&sort=daysSinceLast&dir=asc"), params: {}, context: {} }))
    ).json();
    expect(hr.page.rows.map((r: { customerId: string }) => r.customerId)).toEqual(["2", "3"]);
  });
});
