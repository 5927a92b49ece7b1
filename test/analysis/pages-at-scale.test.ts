import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import type { Sql } from "../../app/db/sql";
import { parseExplorerQuery, querySegment, segmentCsvStream, csvLine, type SegmentRow } from "../../app/analysis/explore-segments";

/* The explorer at scale (docs/decisions/086-pages-at-scale.md): totals counted once per run and filter, exports read in batches. */
const SHOP = "pages-at-scale.myshopify.com";
const N = 300;

/** Counts score counts and score page reads (with their LIMIT) on the port. */
function countingSql(sql: Sql) {
  const seen = { counts: 0, pages: 0, maxLimit: 0 };
  const wrapped: Sql = {
    engine: sql.engine,
    query: async <T>(text: string, params?: unknown[]) => {
      if (/count\(\*\)[\s\S]*FROM "CustomerScore"/.test(text)) seen.counts++;
      const m = /FROM "CustomerScore" cs[\s\S]*LIMIT \$(\d+)/.exec(text);
      if (m) {
        seen.pages++;
        seen.maxLimit = Math.max(seen.maxLimit, Number(params![Number(m[1]) - 1]));
      }
      return sql.query<T>(text, params);
    },
    exec: (t) => sql.exec(t),
    transaction: (fn) => sql.transaction(fn),
    copyFrom: (t, c, r) => sql.copyFrom(t, c, r),
  };
  return { sql: wrapped, seen };
}

describe.each(databaseKinds)("segment explorer at scale (%s)", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
    await t.db.sql.query(
      `INSERT INTO "CustomerScore" (shop, "customerId", "runId", "lapseClass", overdue, vip, target, branch, orders, "purchaseDays", "totalSpent", aov,
         "firstOrderAt", "lastOrderAt", "daysSinceLast", "churnRisk", "pBuy", "predictedValue12m")
       SELECT $1, 6000000000 + g, 'run-1', (ARRAY['active','at_risk','high_risk','lost'])[1 + g % 4], g % 3 = 0, g % 10 = 0, g % 4 IN (1, 2), NULL,
         1, 1, (g * 37) % 100, 10, '2023-01-01', '2024-01-01', g % 50, ((g * 31) % 100) / 100.0, CASE WHEN g % 5 = 0 THEN NULL ELSE g / 400.0 END, g % 7
       FROM generate_series(1, $2) g`,
      [SHOP, N],
    );
    await t.db.sql.query(
      `INSERT INTO "Customer" (shop, id, email, "firstName", "lastName") SELECT $1, 6000000000 + g, 'c' || g || '@example.com', 'F' || g, 'L' FROM generate_series(1, $2) g`,
      [SHOP, N],
    );
  }, 240_000);
  afterAll(async () => t?.drop());

  const q = (s: string) => parseExplorerQuery(new URLSearchParams(s));

  it("counts a filter's total once per analysis run: page turns reuse it, a new run counts again", async () => {
    const c = countingSql(t.db.sql);
    const first = await querySegment(c.sql, SHOP, q("class=lost&limit=10"), "run-1");
    expect(first.total).toBe(N / 4);
    const second = await querySegment(c.sql, SHOP, q(`class=lost&limit=10&after=${first.next}`), "run-1");
    expect(second.total).toBe(N / 4);
    expect(c.seen.counts).toBe(1);
    await querySegment(c.sql, SHOP, q("class=active&limit=10"), "run-1"); // another filter: its own count
    expect(c.seen.counts).toBe(2);
    await querySegment(c.sql, SHOP, q("class=lost&limit=10"), "run-2"); // a newer run's scores
    expect(c.seen.counts).toBe(3);
    await querySegment(c.sql, SHOP, q("class=lost&limit=10")); // no run known: counted every time
    await querySegment(c.sql, SHOP, q("class=lost&limit=10"));
    expect(c.seen.counts).toBe(5);
  });

  it("the CSV export reads batches of at most pageSize rows, a small one first, and equals the pages in order", async () => {
    for (const qs of ["sort=pBuy&dir=asc", "class=at_risk&sort=totalSpent", "target=yes&sort=predictedValue12m&dir=desc"]) {
      const c = countingSql(t.db.sql);
      const reader = segmentCsvStream(c.sql, SHOP, q(qs), 90, 40).getReader();
      const dec = new TextDecoder();
      const chunks: string[] = [];
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        chunks.push(dec.decode(value));
      }
      const rows: SegmentRow[] = [];
      let after: string | null = null;
      for (;;) {
        const p = await querySegment(t.db.sql, SHOP, q(`${qs}&limit=250${after ? `&after=${after}` : ""}`));
        rows.push(...p.rows);
        if (!p.next) break;
        after = p.next;
      }
      expect(rows.length).toBeGreaterThan(40);
      expect(chunks.slice(1).join(""), qs).toBe(rows.map(csvLine).join("\n") + "\n");
      expect(c.seen.maxLimit).toBeLessThanOrEqual(40);
      expect(c.seen.pages).toBeGreaterThanOrEqual(Math.ceil(rows.length / 40));
    }
  });
});
