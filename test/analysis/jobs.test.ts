import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../support/db";
import { DbJobQueue } from "../../app/jobs/db-queue";
import { ANALYSIS_JOBS, nextLocalMidnight, requestAnalysis, scheduleDaily } from "../../app/analysis/schedule";
import { onOrderChanged, onSettingsSaved, onSyncCompleted, runAnalysisJob, runDailyJob } from "../../app/analysis/jobs";
import { parseSettingsForm, parseAnalysisSettings, DEFAULT_ANALYSIS_SETTINGS } from "../../app/analysis/settings";
import { insertOrders, insertShop, SHOP } from "./support";

const form = (over: Record<string, string | null> = {}) => {
  const base: Record<string, string> = {
    "lapse.atRiskDays": "90",
    "lapse.highRiskDays": "120",
    "lapse.lostDays": "365",
    "overdue.minPurchaseDays": "3",
    "overdue.gapMultiplier": "2",
    "vip.mode": "percentile",
    "vip.percentile": "90",
    "vip.fixedThreshold": "",
    "prediction.horizonDays": "90",
    "prediction.valueHorizonDays": "365",
    "prediction.minCustomers": "30",
    "prediction.minRepeatCustomers": "10",
    "norm.lookbackDays": "365",
    "norm.windowDays": "365",
    timeUnit: "week",
  };
  const f = new FormData();
  for (const [k, v] of Object.entries({ ...base, ...over })) if (v !== null) f.set(k, v);
  return f;
};

describe("settings form", () => {
  it("reads numbers as merchants type them (issue 16: a multiplier of '1,5' was saved as 15)", () => {
    const r = parseSettingsForm(form({ "overdue.gapMultiplier": "1,5", "vip.percentile": "92,5", "lapse.lostDays": "1.000" }));
    expect(r.ok && r.value.settings.overdue.gapMultiplier).toBe(1.5);
    expect(r.ok && r.value.settings.vip.percentile).toBeCloseTo(0.925, 12);
    expect(r.ok && r.value.settings.lapse.lostDays).toBe(1000); // whole days: "1.000" can only be a thousand
    // A decimal field with "1,500" could be 1500 (en-US) or 1.5 (de-DE): refused, never guessed.
    const amb = parseSettingsForm(form({ "vip.mode": "fixed", "vip.fixedThreshold": "1,500" }));
    expect(amb).toMatchObject({
      ok: false,
      errors: { "vip.fixedThreshold": "Ambiguous: type 1500 or 1.5 (without a thousands separator)" },
    });
    const bad = parseSettingsForm(form({ "overdue.gapMultiplier": "1e2", "lapse.atRiskDays": "2,5" }));
    expect(bad).toMatchObject({
      ok: false,
      errors: { "overdue.gapMultiplier": "Enter a number", "lapse.atRiskDays": "Whole numbers only" },
    });
    // NUL is removed at the form boundary (lib/text's one rule) before anything is read.
    expect(parseSettingsForm(form({ timeUnit: "we\u0000ek", "norm.windowDays": "36\u00005" }))).toEqual({
      ok: true,
      value: DEFAULT_ANALYSIS_SETTINGS,
    });
  });

  it("the default form round-trips to the defaults", () => {
    const r = parseSettingsForm(form());
    expect(r).toEqual({ ok: true, value: DEFAULT_ANALYSIS_SETTINGS });
  });

  it("reports each bad field inline and never returns a value", () => {
    const r = parseSettingsForm(
      form({
        "lapse.atRiskDays": "abc",
        "lapse.highRiskDays": "",
        "overdue.gapMultiplier": "-1",
        "vip.percentile": "150",
        timeUnit: "month",
      }),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toMatchObject({
      "lapse.atRiskDays": "Enter a number",
      "lapse.highRiskDays": "Required",
      "overdue.gapMultiplier": "Must be more than 0",
      "vip.percentile": "At most 100 %",
    });
    expect(r.errors.timeUnit).toBeTruthy();
  });

  it("checks the order of the lapse windows and the fixed VIP amount", () => {
    const r = parseSettingsForm(
      form({ "lapse.highRiskDays": "80", "lapse.lostDays": "80", "vip.mode": "fixed", "vip.fixedThreshold": "" }),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors["lapse.highRiskDays"]).toMatch(/more than the at-risk/);
    expect(r.errors["vip.fixedThreshold"]).toMatch(/Enter the amount/);
    const ok = parseSettingsForm(
      form({ "vip.mode": "fixed", "vip.fixedThreshold": "1,500.00", "targets.includeLost": "on", timeUnit: "day" }),
    );
    expect(ok.ok && ok.value.settings.vip).toEqual({ percentile: 0.9, fixedThreshold: 1500 });
    expect(ok.ok && ok.value.settings.targets.includeLost).toBe(true);
    expect(ok.ok && ok.value.timeUnit).toBe("day");
  });

  it("stored sections from an older version get the new defaults; a corrupt one is a CONFIG error", () => {
    expect(parseAnalysisSettings({ settings: { lapse: { atRiskDays: 60 } } }).settings.lapse).toEqual({
      atRiskDays: 60,
      highRiskDays: 120,
      lostDays: 365,
    });
    expect(() => parseAnalysisSettings({ settings: { lapse: { atRiskDays: "x" } } })).toThrow(expect.objectContaining({ code: "CONFIG" }));
  });
});

describe("scheduling", () => {
  it("next local midnight handles offsets and DST days", () => {
    expect(nextLocalMidnight(new Date("2024-06-30T12:00:00Z"), "America/New_York", 0).toISOString()).toBe("2024-07-01T04:00:00.000Z");
    expect(nextLocalMidnight(new Date("2024-06-30T23:30:00Z"), "Asia/Tokyo", 0).toISOString()).toBe("2024-07-01T15:00:00.000Z");
    expect(nextLocalMidnight(new Date("2024-03-09T12:00:00Z"), "America/New_York", 0).toISOString()).toBe("2024-03-10T05:00:00.000Z");
    expect(nextLocalMidnight(new Date("2024-03-10T12:00:00Z"), "America/New_York", 0).toISOString()).toBe("2024-03-11T04:00:00.000Z");
    expect(nextLocalMidnight(new Date("2024-06-30T12:00:00Z"), "UTC").toISOString()).toBe("2024-07-01T00:05:00.000Z");
  });
});

describe("analysis jobs on the DB queue", () => {
  let t: TestDb;
  let queue: DbJobQueue;
  let clock = new Date("2024-07-01T02:00:00Z");
  const now = () => clock;
  const jobs = async () =>
    t.db.sql.query<{ queue: string; singletonKey: string; runAt: Date; payload: any }>(
      `SELECT queue, "singletonKey", "runAt", payload FROM "Job" WHERE state = 'created' ORDER BY "runAt", queue`,
    );

  beforeAll(async () => {
    t = await createTestDb("pglite");
    queue = new DbJobQueue(t.db.sql, [], { now });
    await insertShop(t.db.sql);
    await insertOrders(t.db.sql, [{ id: 1, customer: 7, at: "2024-06-01T12:00:00Z", total: "10.00" }]);
  });
  afterAll(async () => t?.drop());

  it("a burst of order webhooks within one 3-minute window makes one delayed recompute; a later burst another", async () => {
    const deps = { sql: t.db.sql, queue, now };
    for (let i = 0; i < 20; i++) {
      clock = new Date(Date.parse("2024-07-01T02:00:10Z") + i * 5_000);
      await onOrderChanged(deps, { shop: SHOP, orderId: String(i), customerId: "7" });
    }
    let j = (await jobs()).filter((x) => x.queue === ANALYSIS_JOBS.run);
    expect(j).toHaveLength(1);
    expect(j[0]!.runAt.getTime()).toBeGreaterThanOrEqual(clock.getTime() + 60_000);
    expect(j[0]!.payload).toEqual({ shop: SHOP, reason: "orders" });
    clock = new Date("2024-07-01T02:10:00Z");
    await onOrderChanged(deps, { shop: SHOP, orderId: "x", customerId: null });
    j = (await jobs()).filter((x) => x.queue === ANALYSIS_JOBS.run);
    expect(j).toHaveLength(2);
  });

  it("settings saved twice at once enqueue one immediate run; sync completed also starts the daily chain once", async () => {
    await t.db.sql.query(`DELETE FROM "Job"`);
    clock = new Date("2024-07-01T02:00:01Z");
    const deps = { sql: t.db.sql, queue, now };
    const a = await onSettingsSaved(deps, SHOP);
    const b = await onSettingsSaved(deps, SHOP);
    expect(a.jobId).toBeTruthy();
    expect(b.jobId).toBeNull();
    expect(a.runAt.getTime() - clock.getTime()).toBeLessThanOrEqual(5_000);
    await onSyncCompleted(deps, SHOP);
    await onSyncCompleted(deps, SHOP);
    const daily = (await jobs()).filter((x) => x.queue === ANALYSIS_JOBS.daily);
    expect(daily).toHaveLength(1);
    expect(daily[0]).toMatchObject({ singletonKey: `${SHOP}@2024-07-01`, runAt: new Date("2024-07-01T04:05:00Z") }); // NY midnight + 5 min
  });

  it("the daily job schedules tomorrow's, then recomputes; an uninstalled shop is left alone", async () => {
    await t.db.sql.query(`DELETE FROM "Job"`);
    clock = new Date("2024-07-01T04:05:00Z");
    const deps = { sql: t.db.sql, queue, now };
    const r = await runDailyJob(deps, SHOP);
    expect(r?.summary.asOf).toBe("2024-07-01");
    expect((await jobs()).map((x) => x.singletonKey)).toEqual([`${SHOP}@2024-07-02`]);
    await t.db.sql.query(`UPDATE "Shop" SET "uninstalledAt" = now() WHERE domain = $1`, [SHOP]);
    clock = new Date("2024-07-02T04:05:00Z");
    expect(await runDailyJob(deps, SHOP)).toBeNull();
    expect(await runAnalysisJob(deps, SHOP)).toBeNull();
    expect((await jobs()).map((x) => x.singletonKey)).toEqual([`${SHOP}@2024-07-02`]);
  });

  it("requestAnalysis keys never collide across shops", async () => {
    await t.db.sql.query(`DELETE FROM "Job"`);
    await requestAnalysis(queue, "a.myshopify.com", "manual", clock);
    await requestAnalysis(queue, "b.myshopify.com", "manual", clock);
    await scheduleDaily(queue, "a.myshopify.com", "UTC", clock);
    expect(await jobs()).toHaveLength(3);
  });
});
