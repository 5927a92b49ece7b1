import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import {
  csvColumns,
  parseExplorerQuery,
  querySegment,
  segmentCsvStream,
  SORTS,
  type ExplorerQuery,
  type SegmentRow,
  type SortKey,
} from "../../app/analysis/explore-segments";

const SHOP = "explorer-test.myshopify.com";
const N = 1234;

async function seed(t: TestDb) {
  // Deterministic rows with many ties (churn risk in hundredths, days in whole numbers) and a NULL block.
  await t.db.sql.query(
    `INSERT INTO "CustomerScore" (shop, "customerId", "runId", "lapseClass", overdue, vip, target, branch, orders, "purchaseDays", "totalSpent", aov,
       "firstOrderAt", "lastOrderAt", "daysSinceLast", "medianGapDays", "pBuy", "expectedPurchases90", "expectedNextOrderAt", "predictedValue12m", "churnRisk")
     SELECT $1, 5000000000 + g, 'run-1', (ARRAY['active','at_risk','high_risk','lost'])[1 + g % 4], g % 7 = 0, g % 10 = 0, g % 4 IN (1, 2),
       CASE WHEN g % 4 IN (1, 2) THEN CASE WHEN g % 10 = 0 THEN 'VIP' ELSE 'Standard' END END,
       1 + g % 5, 1 + g % 4, round(((g * 37) % 500)::numeric, 2)::float8, 10, '2023-01-01', '2024-01-01', (g * 13) % 400, NULL,
       CASE WHEN g % 9 = 0 THEN NULL ELSE ((g * 7) % 100) / 100.0 END, 0.5, NULL, CASE WHEN g % 9 = 0 THEN NULL ELSE (g * 11) % 300 END,
       ((g * 31) % 100) / 100.0
     FROM generate_series(1, $2) g`,
    [SHOP, N],
  );
  await t.db.sql.query(
    `INSERT INTO "Customer" (shop, id, email, "firstName", "lastName") SELECT $1, 5000000000 + g, 'c' || g || '@example.com', 'First' || g, CASE WHEN g = 5 THEN '=HYPERLINK("x")' ELSE 'Last' END
     FROM generate_series(1, $2) g`,
    [SHOP, N],
  );
  await t.db.sql
    .query(`INSERT INTO "CustomerScore" (shop, "customerId", "runId", "lapseClass", overdue, vip, target, orders, "purchaseDays", "totalSpent", aov, "firstOrderAt", "lastOrderAt", "daysSinceLast", "churnRisk")
     VALUES ('other.myshopify.com', 1, 'x', 'active', false, false, false, 1, 1, 1, 1, now(), now(), 1, 0.5)`);
}

const q = (over: Record<string, string> = {}): ExplorerQuery => parseExplorerQuery(new URLSearchParams(over));

async function walk(t: TestDb, base: Record<string, string>): Promise<SegmentRow[]> {
  const out: SegmentRow[] = [];
  let after: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const p = await querySegment(t.db.sql, SHOP, q({ ...base, ...(after ? { after } : {}) }));
    out.push(...p.rows);
    if (!p.next) break;
    after = p.next;
  }
  return out;
}

describe.each(databaseKinds)("segment explorer on %s", (kind) => {
  let t: TestDb;
  let all: SegmentRow[];
  beforeAll(async () => {
    t = await createTestDb(kind);
    await seed(t);
    all = await walk(t, { sort: "churnRisk", dir: "desc", limit: "250" });
  }, 60_000);
  afterAll(async () => t?.drop());

  it("keyset pages cover every customer exactly once in the requested order, for every sort and direction", async () => {
    expect(all).toHaveLength(N);
    const key = (r: SegmentRow, s: SortKey) =>
      ({
        churnRisk: r.churnRisk,
        totalSpent: r.totalSpent,
        daysSinceLast: r.daysSinceLast,
        pBuy: r.pBuy ?? -1,
        predictedValue12m: r.predictedValue12m ?? -1,
      })[s];
    for (const sort of Object.keys(SORTS) as SortKey[]) {
      for (const dir of ["asc", "desc"] as const) {
        const got = await walk(t, { sort, dir, limit: "97" });
        const want = [...all].sort((a, b) => {
          const d = key(a, sort) - key(b, sort) || (BigInt(a.customerId) < BigInt(b.customerId) ? -1 : 1);
          return dir === "asc" ? d : -d;
        });
        expect(
          got.map((r) => r.customerId),
          `${sort} ${dir}`,
        ).toEqual(want.map((r) => r.customerId));
      }
    }
  });

  it("walks back with the prev cursor to the same pages", async () => {
    const pages: string[][] = [];
    let p = await querySegment(t.db.sql, SHOP, q({ sort: "daysSinceLast", limit: "100" }));
    expect(p.prev).toBeNull();
    pages.push(p.rows.map((r) => r.customerId));
    while (p.next) {
      p = await querySegment(t.db.sql, SHOP, q({ sort: "daysSinceLast", limit: "100", after: p.next }));
      pages.push(p.rows.map((r) => r.customerId));
    }
    expect(pages).toHaveLength(Math.ceil(N / 100));
    for (let i = pages.length - 2; i >= 0; i--) {
      p = await querySegment(t.db.sql, SHOP, q({ sort: "daysSinceLast", limit: "100", before: p.prev! }));
      expect(p.rows.map((r) => r.customerId)).toEqual(pages[i]);
    }
    expect(p.prev).toBeNull();
  });

  it("filters by class, branch, VIP, overdue and target, with the matching total", async () => {
    const cases: Array<[Record<string, string>, (r: SegmentRow) => boolean]> = [
      [{ class: "at_risk" }, (r) => r.lapseClass === "at_risk"],
      [{ branch: "VIP" }, (r) => r.branch === "VIP"],
      [{ vip: "yes", overdue: "no" }, (r) => r.vip && !r.overdue],
      [
        { target: "yes", class: "high_risk", branch: "Standard" },
        (r) => r.target && r.lapseClass === "high_risk" && r.branch === "Standard",
      ],
      [{ overdue: "yes" }, (r) => r.overdue],
    ];
    for (const [f, pred] of cases) {
      const got = await walk(t, { ...f, limit: "250" });
      const want = all.filter(pred);
      expect(want.length).toBeGreaterThan(0);
      expect(got.map((r) => r.customerId).sort()).toEqual(want.map((r) => r.customerId).sort());
      expect((await querySegment(t.db.sql, SHOP, q({ ...f, limit: "5" }))).total).toBe(want.length);
    }
    expect(all.find((r) => r.customerId === "5000000002")).toMatchObject({
      email: "c2@example.com",
      firstName: "First2",
      lastName: "Last",
    });
  });

  it("rejects bad filters and forged cursors with INVALID_INPUT", async () => {
    expect(() => q({ class: "gone" })).toThrow(/class/);
    expect(() => q({ sort: "email" })).toThrow(/sort/);
    expect(() => q({ limit: "100000" })).toThrow(/limit/);
    await expect(querySegment(t.db.sql, SHOP, q({ after: "bm9wZQ" }))).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(
      querySegment(t.db.sql, SHOP, q({ after: Buffer.from(JSON.stringify([1, "1; DROP TABLE x"])).toString("base64url") })),
    ).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });

  it("exports the filtered segment as CSV in small chunks, CLI columns first, formulas defused", async () => {
    const stream = segmentCsvStream(t.db.sql, SHOP, q({ class: "at_risk", sort: "totalSpent", dir: "asc" }), 91, 50);
    const reader = stream.getReader();
    let chunks = 0,
      text = "";
    const dec = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks++;
      text += dec.decode(value);
    }
    const lines = text.trim().split("\n");
    const want = all
      .filter((r) => r.lapseClass === "at_risk")
      .sort((a, b) => a.totalSpent - b.totalSpent || (BigInt(a.customerId) < BigInt(b.customerId) ? -1 : 1));
    expect(lines[0]).toBe(csvColumns(91).join(","));
    expect(lines).toHaveLength(want.length + 1);
    expect(chunks).toBeGreaterThan(want.length / 50);
    expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual(want.map((r) => r.customerId));
    const head = lines[0]!.split(",");
    for (const col of ["customer_id", "class", "overdue", "vip", "p_buy_within_91d", "expected_purchases_90d", "churn_risk"])
      expect(head).toContain(col);
    const row3 = lines.find((l) => l.startsWith("5000000005,"))!;
    expect(row3).toContain(`"'=HYPERLINK(""x"")"`);
    const first = lines[1]!.split(",");
    expect(first[head.indexOf("class")]).toBe("at_risk");
  });
});
