import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { runAnalysis } from "../../app/analysis/run-analysis";
import type { Sql } from "../../app/db/sql";
import { HistoryAccumulator, OrderedHistoryBuilder, localDay } from "../../app/domain/analytics/index";
import { purchaseBatches, purchaseColumnBatches } from "../../app/sync/store/purchases";
import { insertShop, scores, SHOP } from "./support";

/**
 * The analysis job's scale path (ADR 088): orders read in column batches into the ordered
 * history builder, scores written with COPY in one transaction. Same figures as the row path,
 * readers never see half a run, a failed write changes nothing and a re-run writes one set.
 */

const AS_OF = new Date("2024-07-01T02:00:00Z");
const now = () => AS_OF;

/** A deterministic shop: `n` customers with 1-6 orders each, some on the same local day, guests, tests, cancellations. */
async function seed(sql: Sql, n: number, shop = SHOP) {
  let id = 0;
  let x = 7;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const rows: string[] = [];
  const ts = (ms: number) => new Date(ms).toISOString().replace("T", " ").replace("Z", "");
  for (let c = 1; c <= n; c++) {
    const k = 1 + Math.floor(rnd() * 6);
    // Customer ids far apart and beyond 2^32, as Shopify's are.
    const cid = 7_000_000_000_000 + c * 977;
    for (let j = 0; j < k; j++) {
      const at = Date.UTC(2023, 0, 1) + Math.floor(rnd() * 540) * 86_400_000 + Math.floor(rnd() * 86_400_000);
      const u = rnd();
      const total = (Math.floor(rnd() * 20_000) / 100).toFixed(2);
      rows.push(
        `${shop}\t${++id}\t${cid}\t${ts(at)}\t${ts(at)}\t${ts(at)}\t${u > 0.95 ? ts(at) : "\\N"}\t${u < 0.03 ? "t" : "f"}\t${total}\t${total}\tUSD\n`,
      );
      if (j === 0 && u > 0.5) rows.push(`${shop}\t${++id}\t${cid}\t${ts(at + 60_000)}\t${ts(at)}\t${ts(at)}\t\\N\tf\t1.00\t1.00\tUSD\n`);
    }
    if (c % 10 === 0) {
      const at = Date.UTC(2024, 0, 1) + c * 3_600_000;
      rows.push(`${shop}\t${++id}\t\\N\t${ts(at)}\t${ts(at)}\t${ts(at)}\t\\N\tf\t12.50\t12.50\tUSD\n`);
    }
  }
  await sql.copyFrom(
    "Order",
    ["shop", "id", "customerId", "processedAt", "createdAt", "updatedAt", "cancelledAt", "test", "currentTotal", "totalPrice", "currency"],
    rows.join(""),
  );
  return id;
}

describe("OrderedHistoryBuilder", () => {
  it("builds what HistoryAccumulator builds, including same-day merges and a day that goes back", () => {
    const tz = "America/Sao_Paulo";
    const orders: Array<[string, number, number]> = [];
    let x = 3;
    const rnd = () => (x = (x * 69069 + 1) % 4294967296) / 4294967296;
    for (let c = 0; c < 300; c++)
      for (let j = 0, k = 1 + Math.floor(rnd() * 5); j < k; j++)
        orders.push([`c${c}`, Date.UTC(2018, 0, 1) + Math.floor(rnd() * 2000 * 86_400_000), Math.round(rnd() * 10_000) / 100]);
    orders.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    // 2018-02-18 00:00 in São Paulo the clocks went back to 23:00 of the 17th: this customer's
    // second order (later in time) falls on the earlier local day.
    orders.push(
      ["zz", Date.UTC(2018, 1, 18, 2, 30), 5],
      ["zz", Date.UTC(2018, 1, 18, 2, 40), 6],
      ["zz", Date.UTC(2018, 1, 18, 2, 20) + 3_600_000, 7],
    );
    expect(localDay(Date.UTC(2018, 1, 18, 2, 30), tz)).toBe(localDay(Date.UTC(2018, 1, 18, 2, 40), tz));
    const acc = new HistoryAccumulator(tz);
    const b = new OrderedHistoryBuilder(tz);
    let prev = "";
    for (const [c, at, v] of orders) {
      acc.addDay(c, localDay(at, tz), v);
      if (c !== prev) b.customer((prev = c));
      b.order(at, v);
    }
    acc.addDay(null, localDay(Date.UTC(2020, 1, 1), tz), 3);
    b.guest(Date.UTC(2020, 1, 1), 3);
    const want = acc.build(),
      got = b.build();
    expect(got.customerIds).toEqual(want.customerIds);
    expect([...got.offsets]).toEqual([...want.offsets]);
    expect([...got.days]).toEqual([...want.days]);
    expect([...got.orders]).toEqual([...want.orders]);
    expect(got.values.length).toBe(want.values.length);
    for (let i = 0; i < got.values.length; i++) expect(got.values[i]).toBeCloseTo(want.values[i]!, 9);
    expect([...got.guestDays]).toEqual([...want.guestDays]);
  });

  it("refuses an order before any customer and a value that is not a number", () => {
    expect(() => new OrderedHistoryBuilder().order(0, 1)).toThrow(/before its customer/);
    const b = new OrderedHistoryBuilder();
    b.customer("1");
    expect(() => b.order(0, Number.NaN)).toThrow(/not a number/);
  });
});

describe.each(databaseKinds)("the analysis job's scale path on %s", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
    await insertShop(t.db.sql);
    await seed(t.db.sql, 400);
  }, 120_000);
  afterAll(async () => t?.drop());

  it("column batches hold the same purchases as the row batches, whole customers, oldest first", async () => {
    for (const chunk of [1, 7, 100_000]) {
      const rows: string[] = [];
      for await (const b of purchaseBatches(t.db.sql, SHOP, chunk)) for (const p of b) rows.push(`${p.customerId}@${p.at}=${p.value}`);
      const cols: string[] = [];
      const seen = new Set<string>();
      for await (const b of purchaseColumnBatches(t.db.sql, SHOP, chunk)) {
        if (!b.customerIds.length) for (let i = 0; i < b.at.length; i++) cols.push(`null@${b.at[i]}=${b.value[i]}`);
        b.customerIds.forEach((c, k) => {
          expect(seen.has(c)).toBe(false); // never split over two batches
          seen.add(c);
          for (let i = b.starts[k]!; i < b.starts[k + 1]!; i++) {
            if (i > b.starts[k]!) expect(b.at[i]!).toBeGreaterThanOrEqual(b.at[i - 1]!);
            cols.push(`${c}@${b.at[i]}=${b.value[i]}`);
          }
        });
      }
      const extra = cols.filter((c) => !rows.includes(c)),
        missing = rows.filter((r) => !cols.includes(r));
      expect({ chunk, extra, missing }).toEqual({ chunk, extra: [], missing: [] });
      expect(cols.sort()).toEqual(rows.sort());
      expect(seen.size).toBe(400 - (await noQualifying(t.db.sql)));
    }
  });

  it("the same scores whatever the batch sizes; a re-run leaves one set of rows, of the completed run", async () => {
    const a = await runAnalysis({ sql: t.db.sql, now, chunkOrders: 3, insertRows: 7 }, SHOP, { asOf: AS_OF });
    const first = await scores(t.db.sql);
    const b = await runAnalysis({ sql: t.db.sql, now, chunkOrders: 100_000 }, SHOP, { asOf: AS_OF });
    const second = await scores(t.db.sql);
    const strip = (m: Map<string, any>) => [...m.values()].map(({ runId: _r, ...x }) => x);
    expect(strip(second)).toEqual(strip(first));
    expect(a.summary).toEqual(b.summary);
    const sets = await t.db.sql.query<{ n: number; runs: number; run: string }>(
      `SELECT count(*)::int AS n, count(DISTINCT "runId")::int AS runs, min("runId") AS run FROM "CustomerScore" WHERE shop = $1`,
      [SHOP],
    );
    expect(sets[0]).toEqual({ n: a.summary.customers, runs: 1, run: b.runId });
    const completed = await t.db.sql.query(`SELECT id FROM "AnalysisRun" WHERE shop = $1 AND status = 'completed'`, [SHOP]);
    expect(completed).toEqual([{ id: b.runId }]);
  });

  it("a write that fails half-way (a kill mid-COPY) leaves the previous run's scores whole; the re-run writes one set", async () => {
    const before = await runAnalysis({ sql: t.db.sql, now }, SHOP, { asOf: AS_OF });
    let copies = 0;
    const dying = (s: Sql): Sql => ({
      engine: s.engine,
      query: (q, p) => s.query(q, p),
      exec: (q) => s.exec(q),
      transaction: (fn) => s.transaction((tx) => fn(dying(tx))),
      copyFrom: async (table, cols, rows) => {
        if (table.startsWith("CustomerScore") && ++copies === 3) throw new Error("connection terminated");
        return s.copyFrom(table, cols, rows);
      },
    });
    await expect(runAnalysis({ sql: dying(t.db.sql), now, insertRows: 50 }, SHOP, { asOf: AS_OF })).rejects.toThrow(/terminated/);
    expect(copies).toBe(3);
    const kept = await scores(t.db.sql);
    expect(kept.size).toBe(before.summary.customers);
    for (const r of kept.values()) expect(r.runId).toBe(before.runId);
    const again = await runAnalysis({ sql: t.db.sql, now }, SHOP, { asOf: AS_OF });
    const after = await t.db.sql.query<{ n: number; runs: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT "runId")::int AS runs FROM "CustomerScore" WHERE shop = $1`,
      [SHOP],
    );
    expect(after[0]).toEqual({ n: again.summary.customers, runs: 1 });
  });

  it("a process that dies after loading its table, before the swap, leaves the previous run attached; a later run drops the abandoned table (ADR 106)", async () => {
    const before = await runAnalysis({ sql: t.db.sql, now }, SHOP, { asOf: AS_OF });
    // The connection dies as the swap begins: nothing after it reaches the database, not even the
    // run's own clean-up or its "failed" mark, as when the process is killed there.
    let dead = false;
    const gone = () => Promise.reject(new Error("connection terminated"));
    const dying = (s: Sql): Sql => ({
      engine: s.engine,
      query: (q, p) => (dead || (dead = /pg_advisory_xact_lock/.test(q)) ? gone() : s.query(q, p)),
      exec: (q) => (dead ? gone() : s.exec(q)),
      transaction: (fn) => (dead ? gone() : s.transaction((tx) => fn(dying(tx)))),
      copyFrom: (table, cols, rows, opts) => (dead ? gone() : s.copyFrom(table, cols, rows, opts)),
    });
    await expect(runAnalysis({ sql: dying(t.db.sql), now }, SHOP, { asOf: AS_OF })).rejects.toThrow(/terminated/);
    expect(await loneRunTables(t.db.sql)).toHaveLength(1);
    const kept = await scores(t.db.sql);
    expect(kept.size).toBe(before.summary.customers);
    for (const r of kept.values()) expect(r.runId).toBe(before.runId);
    // The dead run stays "running" until it is stale (an hour: two pass here); the next run then
    // marks it failed and drops its table.
    await t.db.sql.query(`UPDATE "AnalysisRun" SET "startedAt" = "startedAt" - interval '2 hours' WHERE shop = $1 AND status = 'running'`, [
      SHOP,
    ]);
    const again = await runAnalysis({ sql: t.db.sql, now }, SHOP, { asOf: AS_OF });
    expect(await loneRunTables(t.db.sql)).toEqual([]);
    const after = await t.db.sql.query<{ n: number; runs: number; run: string }>(
      `SELECT count(*)::int AS n, count(DISTINCT "runId")::int AS runs, min("runId") AS run FROM "CustomerScore" WHERE shop = $1`,
      [SHOP],
    );
    expect(after[0]).toEqual({ n: again.summary.customers, runs: 1, run: again.runId });
    // The shop's partition is a shop table like any other: row-level security forced, both policies, the scoped role's grant.
    const [part] = await t.db.sql.query<{ name: string; rls: boolean; forced: boolean; policies: string[]; granted: boolean }>(
      `SELECT c.relname AS name, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
              ARRAY(SELECT polname::text FROM pg_policy WHERE polrelid = c.oid ORDER BY polname) AS policies,
              has_table_privilege('winback_shop', c.oid, 'SELECT') AS granted
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = '"CustomerScore"'::regclass AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'`,
    );
    expect(part).toEqual({
      name: `CustomerScoreRun_${again.runId.replace(/-/g, "")}`,
      rls: true,
      forced: true,
      policies: ["winback_shop_isolation", "winback_system"],
      granted: true,
    });
  });

  it("order webhooks' queries interleave with the read (no long transaction around it)", async () => {
    const events: string[] = [];
    let webhook: Promise<unknown> | null = null;
    const watching = (s: Sql): Sql => ({
      engine: s.engine,
      query: async <T>(q: string, p?: unknown[]) => {
        const out = await s.query<T>(q, p);
        if (!webhook && /string_agg/.test(q)) {
          // A webhook arrives while the job reads: its write must finish before the job does.
          webhook = t.db.sql
            .query(`UPDATE "Order" SET "updatedAt" = "updatedAt" WHERE shop = $1 AND id = 1`, [SHOP])
            .then(() => events.push("webhook"));
        }
        return out;
      },
      exec: (q) => s.exec(q),
      transaction: (fn) => s.transaction((tx) => fn(watching(tx))),
      copyFrom: (a, b, c) => s.copyFrom(a, b, c),
    });
    let reads = 0;
    await runAnalysis(
      {
        sql: watching(t.db.sql),
        now,
        chunkOrders: 5,
        onPhases: (p) => {
          reads = p.batches;
          events.push("job");
        },
      },
      SHOP,
      { asOf: AS_OF },
    );
    await webhook;
    expect(reads).toBeGreaterThan(50);
    expect(events).toEqual(["webhook", "job"]);
  });

  it("a reader during the write sees the old run's rows or the new run's, all of them, never a mix", async () => {
    const old = await runAnalysis({ sql: t.db.sql, now }, SHOP, { asOf: AS_OF });
    const seen: Array<{ n: number; runs: number; run: string }> = [];
    let done = false;
    const job = runAnalysis({ sql: t.db.sql, now, insertRows: 20 }, SHOP, { asOf: AS_OF }).finally(() => (done = true));
    while (!done) {
      const r = await t.db.sql.query<{ n: number; runs: number; run: string }>(
        `SELECT count(*)::int AS n, count(DISTINCT "runId")::int AS runs, min("runId") AS run FROM "CustomerScore" WHERE shop = $1`,
        [SHOP],
      );
      seen.push(r[0]!);
      await new Promise((res) => setTimeout(res, 1));
    }
    const next = await job;
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) {
      expect(s.runs).toBe(1);
      expect([old.runId, next.runId]).toContain(s.run);
      expect(s.n).toBe(old.summary.customers);
    }
  });
});

async function noQualifying(sql: Sql): Promise<number> {
  const r = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT "customerId" FROM "Order" WHERE shop = $1 AND "customerId" IS NOT NULL GROUP BY "customerId"
      HAVING count(*) FILTER (WHERE NOT test AND "cancelledAt" IS NULL) = 0) x`,
    [SHOP],
  );
  return r[0]!.n;
}

/** Run tables (ADR 106) not attached to "CustomerScore": a run's table before its swap, or one a dead run left. */
async function loneRunTables(sql: Sql): Promise<string[]> {
  const rows = await sql.query<{ name: string }>(
    `SELECT relname AS name FROM pg_class WHERE relname LIKE 'CustomerScoreRun%' AND relkind = 'r' AND NOT relispartition`,
  );
  return rows.map((r) => r.name);
}
