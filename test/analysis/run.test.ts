import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { latestAnalysis, runAnalysis } from "../../app/analysis/run-analysis";
import { parseAnalysisSettings, saveAnalysisSettings } from "../../app/analysis/settings";
import type { Sql } from "../../app/db/sql";
import { insertCustomers, insertOrders, insertShop, scores, SHOP, type O } from "./support";

// As of 2024-06-30 in New York (the instant is still June 30 there).
const AS_OF = new Date("2024-07-01T02:00:00Z");
const now = () => new Date("2024-07-01T02:00:00Z");

const ORDERS: O[] = [
  // 1001: three purchase days, gaps 31 and 29 (median 30); 112 days silent: at_risk and overdue
  { id: 1, customer: 1001, at: "2024-01-10T15:00:00Z", total: "40.00" },
  { id: 2, customer: 1001, at: "2024-02-10T15:00:00Z", total: "40.00" },
  { id: 3, customer: 1001, at: "2024-03-10T15:00:00Z", total: "40.00" },
  // 1002: 03:30 UTC on April 2 is April 1 in New York: 90 days (at_risk), not 89 (active in UTC)
  { id: 4, customer: 1002, at: "2024-04-02T03:30:00Z", total: "25.00" },
  { id: 5, customer: 1002, at: "2024-07-05T15:00:00Z", total: "999.00" }, // after as-of: ignored
  // 1003: two orders on one New York day (the second is June 2 in UTC): one purchase day
  { id: 6, customer: 1003, at: "2024-06-01T14:00:00Z", total: "10.00" },
  { id: 7, customer: 1003, at: "2024-06-02T00:00:00Z", total: "15.50" },
  // 1004 only cancelled, 1005 only test: no scores
  { id: 8, customer: 1004, at: "2024-06-01T14:00:00Z", total: "500.00", cancelled: true },
  { id: 9, customer: 1005, at: "2024-06-01T14:00:00Z", total: "500.00", test: true },
  // 1006: 365 days silent (lost); 1007: 364 days (high_risk)
  { id: 10, customer: 1006, at: "2023-07-01T16:00:00Z", total: "30.00" },
  { id: 11, customer: 1007, at: "2023-07-02T16:00:00Z", total: "30.00" },
  // 1008: the big spender, active
  { id: 12, customer: 1008, at: "2024-06-20T16:00:00Z", total: "1000.00" },
  // guests: shop totals only
  { id: 13, customer: null, at: "2024-06-10T16:00:00Z", total: "12.00" },
  { id: 14, customer: null, at: "2024-06-11T16:00:00Z", total: "8.00" },
  { id: 15, customer: null, at: "2024-06-11T16:00:00Z", total: "8.00", test: true },
];

async function failingOnOrders(sql: Sql): Promise<Sql> {
  const wrap = (s: Sql): Sql => ({
    engine: s.engine,
    query: async (text, params) => {
      if (/FROM "Order" WHERE shop = \$1 AND "customerId" > \$2::bigint AND/.test(text)) throw new Error("connection reset");
      return s.query(text, params);
    },
    exec: (t) => s.exec(t),
    transaction: (fn) => s.transaction((tx) => fn(wrap(tx))),
    copyFrom: (table, columns, rows) => s.copyFrom(table, columns, rows),
  });
  return wrap(sql);
}

describe.each(databaseKinds)("runAnalysis on %s", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
    await insertShop(t.db.sql);
    await insertCustomers(t.db.sql, [1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008]);
    await insertOrders(t.db.sql, ORDERS);
  }, 60_000);
  afterAll(async () => t?.drop());

  it("classifies the hand-made shop at every boundary and writes scores + a completed run", async () => {
    const { runId, summary, model, superseded } = await runAnalysis({ sql: t.db.sql, now, chunkOrders: 2 }, SHOP, { asOf: AS_OF });
    expect(superseded).toBe(false);
    expect(summary.asOf).toBe("2024-06-30");
    expect(summary.timeZone).toBe("America/New_York");
    const s = await scores(t.db.sql);
    expect([...s.keys()]).toEqual(["1001", "1002", "1003", "1006", "1007", "1008"]);
    expect(s.get("1001")).toMatchObject({
      lapseClass: "at_risk",
      overdue: true,
      purchaseDays: 3,
      medianGapDays: 30,
      daysSinceLast: 112,
      target: true,
      branch: "Standard",
    });
    expect(s.get("1002")).toMatchObject({ lapseClass: "at_risk", daysSinceLast: 90, orders: 1, totalSpent: 25, last: "2024-04-01" });
    expect(s.get("1003")).toMatchObject({
      lapseClass: "active",
      orders: 2,
      purchaseDays: 1,
      totalSpent: 25.5,
      target: false,
      branch: null,
    });
    expect(s.get("1006")).toMatchObject({ lapseClass: "lost", daysSinceLast: 365, target: false });
    expect(s.get("1007")).toMatchObject({ lapseClass: "high_risk", daysSinceLast: 364, target: true });
    expect(s.get("1008")).toMatchObject({ vip: true, lapseClass: "active", target: false });
    for (const r of s.values()) expect(r.runId).toBe(runId);
    expect(summary.classes).toEqual({
      active: { count: 2, share: 2 / 6 },
      at_risk: { count: 2, share: 2 / 6 },
      high_risk: { count: 1, share: 1 / 6 },
      lost: { count: 1, share: 1 / 6 },
    });
    expect(summary.vipThreshold).toBe(1000);
    expect(summary.targets).toEqual({ vip: 0, standard: 3, total: 3 });
    expect(summary.branches.standard).toMatchObject({ targets: 3, atRisk: 2, highRisk: 1, lost: 0 });
    expect(summary.shop).toEqual({ orders: 11, revenue: 40 * 3 + 25 + 25.5 + 30 + 30 + 1000 + 20, guestOrders: 2, guestRevenue: 20 });
    expect(summary.excluded).toEqual({ test: 2, cancelled: 1 });
    expect(summary.recency.reduce((a, b) => a + b.count, 0)).toBe(6);
    expect(summary.churnRisk.reduce((a, b) => a + b.count, 0)).toBe(6);
    // 6 customers: no model, the rules still apply, and the reason is kept
    expect(model).toBeNull();
    expect(summary.modelMessage).toMatch(/\w/);
    expect(s.get("1001")!.pAlive).toBeNull();
    const latest = await latestAnalysis(t.db.sql, SHOP);
    expect(latest.completed).toMatchObject({ id: runId, status: "completed", asOf: "2024-06-30", customers: 6 });
    expect(latest.completed!.summary!.classes.lost.count).toBe(1);
    expect(latest.pending).toBeNull();
  });

  it("reads in chunks without changing a figure", async () => {
    const small = await runAnalysis({ sql: t.db.sql, now, chunkOrders: 1, insertRows: 2 }, SHOP, { asOf: AS_OF });
    const a = await scores(t.db.sql);
    const big = await runAnalysis({ sql: t.db.sql, now, chunkOrders: 100_000 }, SHOP, { asOf: AS_OF });
    const b = await scores(t.db.sql);
    const strip = (m: Map<string, any>) => [...m.values()].map(({ runId: _r, ...x }) => x);
    expect(strip(a)).toEqual(strip(b));
    expect({ ...small.summary }).toEqual({ ...big.summary });
  });

  it("a re-run replaces the rows (no duplicates); the one completed run is the scores' run", async () => {
    const { runId } = await runAnalysis({ sql: t.db.sql, now }, SHOP, { asOf: AS_OF });
    const { runId: again } = await runAnalysis({ sql: t.db.sql, now }, SHOP, { asOf: AS_OF });
    expect(again).not.toBe(runId);
    const rows = await t.db.sql.query<{ n: number; runs: number }>(
      `SELECT count(*)::int n, count(DISTINCT "runId")::int runs FROM "CustomerScore" WHERE shop = $1`,
      [SHOP],
    );
    expect(rows[0]).toEqual({ n: 6, runs: 1 });
    const runs = await t.db.sql.query<{ id: string; status: string }>(`SELECT id, status FROM "AnalysisRun" WHERE id = ANY($1)`, [
      [runId, again],
    ]);
    expect(Object.fromEntries(runs.map((r) => [r.id, r.status]))).toEqual({ [runId]: "replaced", [again]: "completed" });
    const completed = await t.db.sql.query(`SELECT id FROM "AnalysisRun" WHERE shop = $1 AND status = 'completed'`, [SHOP]);
    expect(completed).toEqual([{ id: again }]);
    expect((await latestAnalysis(t.db.sql, SHOP)).completed!.id).toBe(again);
  });

  it("applies saved settings on the next recompute", async () => {
    const cfg = parseAnalysisSettings({});
    cfg.settings.lapse.atRiskDays = 100;
    cfg.settings.targets.includeLost = true;
    cfg.settings.vip.fixedThreshold = 100;
    await saveAnalysisSettings(t.db.sql, SHOP, cfg);
    const { summary } = await runAnalysis({ sql: t.db.sql, now }, SHOP, { asOf: AS_OF });
    const s = await scores(t.db.sql);
    expect(s.get("1002")).toMatchObject({ lapseClass: "active", target: false }); // 90 days < 100
    expect(s.get("1006")).toMatchObject({ lapseClass: "lost", target: true, branch: "Standard" });
    expect(s.get("1001")).toMatchObject({ vip: true, branch: "VIP" }); // 120 spent >= 100
    expect(summary.vipThreshold).toBe(100);
    expect(summary.settings.lapse.atRiskDays).toBe(100);
    await saveAnalysisSettings(t.db.sql, SHOP, parseAnalysisSettings({}));
  });

  it("a failed run is recorded and leaves the previous scores in place", async () => {
    const { runId } = await runAnalysis({ sql: t.db.sql, now }, SHOP, { asOf: AS_OF });
    await expect(runAnalysis({ sql: await failingOnOrders(t.db.sql), now }, SHOP, { asOf: AS_OF })).rejects.toThrow(/connection reset/);
    const s = await scores(t.db.sql);
    expect(s.size).toBe(6);
    for (const r of s.values()) expect(r.runId).toBe(runId);
    const latest = await latestAnalysis(t.db.sql, SHOP);
    expect(latest.completed!.id).toBe(runId);
    expect(latest.failed).toMatchObject({ status: "failed", error: "connection reset" });
  });

  it("a run that started before a newer completed one does not overwrite it", async () => {
    const later = await runAnalysis({ sql: t.db.sql, now: () => new Date("2024-07-01T03:00:00Z") }, SHOP, { asOf: AS_OF });
    const older = await runAnalysis({ sql: t.db.sql, now }, SHOP, { asOf: AS_OF });
    expect(older.superseded).toBe(true);
    for (const r of (await scores(t.db.sql)).values()) expect(r.runId).toBe(later.runId);
    const st = await t.db.sql.query<{ status: string }>(`SELECT status FROM "AnalysisRun" WHERE id = $1`, [older.runId]);
    expect(st[0]!.status).toBe("superseded");
  });

  it("rejects an unknown shop time zone with a clear error and writes nothing", async () => {
    await insertShop(t.db.sql, "badzone.myshopify.com", "Mars/Olympus");
    await expect(runAnalysis({ sql: t.db.sql, now }, "badzone.myshopify.com")).rejects.toMatchObject({
      code: "CONFIG",
      message: expect.stringMatching(/Mars\/Olympus/),
    });
    expect(await t.db.sql.query(`SELECT 1 FROM "AnalysisRun" WHERE shop = 'badzone.myshopify.com'`)).toHaveLength(0);
  });

  it("marks a run left 'running' by a dead process as failed", async () => {
    await t.db.sql.query(
      `INSERT INTO "AnalysisRun" (id, shop, "asOf", status, "startedAt") VALUES ('dead-run', $1, now(), 'running', '2024-06-01')`,
      [SHOP],
    );
    await runAnalysis({ sql: t.db.sql, now }, SHOP, { asOf: AS_OF });
    const st = await t.db.sql.query<{ status: string; error: string }>(`SELECT status, error FROM "AnalysisRun" WHERE id = 'dead-run'`);
    expect(st[0]).toMatchObject({ status: "failed", error: expect.stringMatching(/Interrupted/) });
  });
});
