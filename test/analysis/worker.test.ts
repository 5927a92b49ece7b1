import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { latestAnalysis, runAnalysis, type AnalysisPhases } from "../../app/analysis/run-analysis";
import { scorePage, segmentCodes, type ScoreFilters } from "../../app/analysis/store";
import { SORTS } from "../../app/analysis/explore-segments";
import { insertCustomers, insertOrders, insertShop, SHOP, type O } from "./support";

/*
 * The analysis off the event loop (docs/decisions/096-analysis-off-the-event-loop.md): the worker
 * thread computes exactly what the job's own thread computes, a worker that cannot start falls back
 * to in-thread with the same results, and one that dies mid-run fails the run without touching the
 * previous scores. Plus the explorer's segment-code pages against a sort of every row in JS.
 */
const AS_OF = new Date("2024-07-01T02:00:00Z");
const now = () => AS_OF;

/** A deterministic shop big enough to fit every model: 240 customers over three years, buying and dropping out as BG/NBD assumes. */
function shopOrders(): { customers: number[]; orders: O[] } {
  let seed = 7;
  const rnd = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const customers: number[] = [];
  const orders: O[] = [];
  let id = 1;
  const start = Date.parse("2021-07-01T00:00:00Z");
  for (let c = 0; c < 240; c++) {
    const cid = 7000 + c;
    customers.push(cid);
    const meanGap = 15 + 120 * rnd();
    const dropout = 0.05 + 0.6 * rnd() * rnd();
    const spend = 15 + 150 * rnd() * rnd();
    let t = start + Math.floor(rnd() * 900) * 86_400_000;
    while (t < AS_OF.getTime() - 86_400_000) {
      orders.push({
        id: id++,
        customer: cid,
        at: new Date(t + Math.floor(rnd() * 86_400_000)).toISOString(),
        total: (spend * (0.7 + 0.6 * rnd())).toFixed(2),
      });
      if (rnd() < dropout) break;
      t += Math.max(1, Math.round(-Math.log(1 - rnd()) * meanGap)) * 86_400_000;
    }
  }
  orders.push({ id: id++, customer: null, at: "2024-05-01T12:00:00Z", total: "12.00" });
  orders.push({ id: id++, customer: 7000, at: "2024-05-01T12:00:00Z", total: "99.00", cancelled: true });
  return { customers, orders };
}

async function storedScores(t: TestDb) {
  return t.db.sql.query<Record<string, unknown>>(
    `SELECT "customerId"::text AS id, "lapseClass", overdue, vip, target, branch, segment, orders, "purchaseDays", "totalSpent", aov,
            "firstOrderAt", "lastOrderAt", "daysSinceLast", "medianGapDays", "pAlive", "pBuy", "expectedPurchases90", "expectedNextOrderAt",
            "predictedValue12m", "churnRisk", "expectedOrderValue"
       FROM "CustomerScore" WHERE shop = $1 ORDER BY "customerId"`,
    [SHOP],
  );
}

describe.each(databaseKinds)("the analysis computed on a worker thread (%s)", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
    const { customers, orders } = shopOrders();
    await insertShop(t.db.sql);
    await insertCustomers(t.db.sql, customers);
    await insertOrders(t.db.sql, orders);
  }, 240_000);
  afterAll(async () => t?.drop());

  it("writes the same rows, summary and model as the in-thread computation, and ran on the worker", async () => {
    let phases: AnalysisPhases | undefined;
    const onWorker = await runAnalysis({ sql: t.db.sql, now, insertRows: 50, onPhases: (p) => (phases = p) }, SHOP, { asOf: AS_OF });
    expect(phases?.worker).toBe(true);
    expect(onWorker.summary.modelMessage).toBeNull();
    expect(onWorker.model?.churnModel).toBe(true); // the whole model path ran
    const rowsOnWorker = await storedScores(t);
    expect(rowsOnWorker.length).toBe(240);

    const inThread = await runAnalysis(
      { sql: t.db.sql, now, insertRows: 1000, compute: { inThread: true }, onPhases: (p) => (phases = p) },
      SHOP,
      {
        asOf: AS_OF,
      },
    );
    expect(phases?.worker).toBe(false);
    expect(await storedScores(t)).toEqual(rowsOnWorker);
    expect(inThread.summary).toEqual(onWorker.summary);
    expect(inThread.model).toEqual(onWorker.model);
    expect(JSON.stringify(inThread.summary)).toBe(JSON.stringify(onWorker.summary)); // same keys in the same order as stored
  }, 240_000);

  it("computes in-thread, with one warning, when the worker cannot start; same results", async () => {
    const before = await storedScores(t);
    const onUnavailable = vi.fn();
    let phases: AnalysisPhases | undefined;
    await runAnalysis(
      {
        sql: t.db.sql,
        now,
        compute: { workerUrl: new URL("./fixtures/no-such-worker.mjs", import.meta.url), onUnavailable },
        onPhases: (p) => (phases = p),
      },
      SHOP,
      { asOf: AS_OF },
    );
    expect(onUnavailable).toHaveBeenCalledTimes(1);
    expect(phases?.worker).toBe(false);
    expect(await storedScores(t)).toEqual(before);
  }, 240_000);

  it("a worker that dies mid-run fails the run; the previous run's scores stay, whole", async () => {
    const before = await storedScores(t);
    const completed = (await latestAnalysis(t.db.sql, SHOP)).completed!.id;
    await expect(
      runAnalysis({ sql: t.db.sql, now, compute: { workerUrl: new URL("./fixtures/dying-analysis-worker.mjs", import.meta.url) } }, SHOP, {
        asOf: AS_OF,
      }),
    ).rejects.toThrow(/Analysis worker stopped: exit code 3/);
    const after = await latestAnalysis(t.db.sql, SHOP);
    expect(after.completed!.id).toBe(completed);
    expect(after.failed?.error).toMatch(/exit code 3/);
    expect(await storedScores(t)).toEqual(before);
  }, 240_000);

  it("explorer pages over the segment indexes list exactly the filter's rows in sort order, page after page", async () => {
    const all = await t.db.sql.query<{
      customerId: string;
      lapseClass: string;
      vip: boolean;
      overdue: boolean;
      target: boolean;
      branch: string | null;
      v: Record<string, number>;
    }>(
      `SELECT "customerId"::text AS "customerId", "lapseClass", vip, overdue, target, branch,
              json_build_object('churnRisk', "churnRisk", 'totalSpent', "totalSpent", 'daysSinceLast', "daysSinceLast",
                                'pBuy', COALESCE("pBuy", -1), 'predictedValue12m', COALESCE("predictedValue12m", -1)) AS v
         FROM "CustomerScore" WHERE shop = $1`,
      [SHOP],
    );
    const filters: ScoreFilters[] = [
      {},
      { class: "active" },
      { class: "at_risk" },
      { class: "lost" },
      { vip: "yes" },
      { overdue: "no" },
      { target: "yes" },
      { branch: "VIP" },
      { branch: "Standard" },
      { class: "high_risk", target: "yes", vip: "no" },
    ];
    const sorts = Object.keys(SORTS) as Array<keyof typeof SORTS>;
    for (const [i, f] of filters.entries()) {
      for (const [j, key] of sorts.entries()) {
        const asc = (i + j) % 2 === 0;
        const expected = all
          .filter(
            (r) =>
              (!f.class || r.lapseClass === f.class) &&
              (!f.vip || r.vip === (f.vip === "yes")) &&
              (!f.overdue || r.overdue === (f.overdue === "yes")) &&
              (!f.target || r.target === (f.target === "yes")) &&
              (!f.branch || r.branch === f.branch),
          )
          .sort((a, b) => {
            const d = a.v[key]! - b.v[key]! || (BigInt(a.customerId) < BigInt(b.customerId) ? -1 : 1);
            return asc ? d : -d;
          })
          .map((r) => r.customerId);
        const got: string[] = [];
        let cursor: { v: number; id: string } | undefined;
        for (;;) {
          const page = await scorePage(t.db.sql, SHOP, { filters: f, sort: SORTS[key], asc, limit: 40, cursor });
          got.push(...page.map((r) => r.customerId));
          if (page.length < 40) break;
          const last = page.at(-1)!;
          cursor = { v: last.sortValue, id: last.customerId };
        }
        expect(got, `${JSON.stringify(f)} by ${key} ${asc ? "asc" : "desc"}`).toEqual(expected);
      }
    }
  }, 600_000);
});

describe("segment codes", () => {
  it("admit every combination of the filters a stored row can have, and only those", () => {
    expect(segmentCodes({})).toHaveLength(32);
    expect(segmentCodes({ class: "at_risk" })).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(segmentCodes({ vip: "yes", target: "yes" })).toEqual([5, 7, 13, 15, 21, 23, 29, 31]);
    expect(segmentCodes({ branch: "Standard" })).toEqual(segmentCodes({ target: "yes", vip: "no" }));
    expect(segmentCodes({ branch: "VIP", target: "no" })).toEqual([]);
  });
});
