import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSync } from "../../app/sync/start";
import { latestAnalysis, runAnalysis } from "../../app/analysis/run-analysis";
import { querySegment, parseExplorerQuery } from "../../app/analysis/explore-segments";
import { harness, SHOP, type Harness } from "../sync/support";
import { insertShop } from "./support";

/**
 * "The dashboard shows the same numbers as the CLI for the demo shop": a demo shop in the emulator
 * is synced into the app's database by the real sync, analysed by the app, and its orders bulk
 * export (the very JSONL file the sync ingested) is analysed by `winback analyze`.
 */
const root = join(import.meta.dirname, "../..");
const TZ = "America/Los_Angeles";
const NOW = new Date("2026-10-15T18:00:00Z");

describe("dashboard vs CLI on the demo shop", () => {
  let h: Harness;
  let cli: any;
  let csv: Map<string, Record<string, string>>;
  let app: Awaited<ReturnType<typeof runAnalysis>>;

  beforeAll(async () => {
    h = await harness({ seed: { seed: 42, customers: 700, years: 3, now: NOW, ianaTimezone: TZ } });
    await insertShop(h.db.sql, SHOP, TZ);
    await startSync(h.deps, { shop: SHOP });
    await h.drain();
    app = await runAnalysis({ sql: h.db.sql, now: () => NOW }, SHOP);

    const op = h.emu.bulk.ops.find((o) => o.shop === SHOP && /^\s*query OrdersBulk/.test(o.query) && o.status === "COMPLETED");
    expect(op, "orders bulk operation").toBeTruthy();
    const dir = mkdtempSync(join(tmpdir(), "winback-parity-"));
    const out = join(dir, "customers.csv");
    const r = spawnSync(
      process.execPath,
      [
        join(root, "bin/winback.mjs"),
        "analyze",
        "--input",
        op!.filePath,
        "--format",
        "shopify-jsonl",
        "--as-of",
        app.summary.asOf,
        "--timezone",
        TZ,
        "--json",
        "--customers-out",
        out,
      ],
      { encoding: "utf8", cwd: root },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    cli = JSON.parse(r.stdout);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    const head = lines[0]!.split(",");
    csv = new Map(
      lines.slice(1).map((l) => {
        const cells = l.split(",");
        const rec = Object.fromEntries(head.map((k, i) => [k, cells[i]!]));
        return [rec.customer_id!.replace("gid://shopify/Customer/", ""), rec];
      }),
    );
  }, 180_000);
  afterAll(async () => h?.close());

  it("has a real demo shop to compare (enough customers for a model fit, some excluded orders)", () => {
    expect(app.summary.customers).toBeGreaterThan(300);
    expect(app.summary.excluded.test + app.summary.excluded.cancelled).toBeGreaterThan(0);
    expect(app.model).not.toBeNull();
    expect(app.summary.asOf).toBe("2026-10-15");
  });

  it("shows the same risk summary, VIP threshold, targets and shop totals", async () => {
    const s = (await latestAnalysis(h.db.sql, SHOP)).completed!.summary!;
    expect(s.asOf).toBe(cli.asOf);
    expect(s.customers).toBe(cli.customers);
    expect(s.repeatCustomers).toBe(cli.repeatCustomers);
    expect({
      active: s.classes.active.count,
      at_risk: s.classes.at_risk.count,
      high_risk: s.classes.high_risk.count,
      lost: s.classes.lost.count,
    }).toEqual(cli.classes);
    expect(s.overdue).toBe(cli.overdue);
    expect(s.vip).toBe(cli.vip);
    expect(s.vipThreshold).toBeCloseTo(cli.vipThreshold, 6);
    expect({ vip: s.targets.vip, standard: s.targets.standard }).toEqual(cli.targets);
    expect(s.shop.orders).toBe(cli.shop.orders);
    expect(s.shop.guestOrders).toBe(cli.shop.guestOrders);
    expect(s.shop.revenue).toBeCloseTo(cli.shop.revenue, 4);
    for (const k of Object.keys(cli.historicalNorm)) expect((s.historicalNorm as any)[k]).toBeCloseTo(cli.historicalNorm[k], 9);
  });

  it("fits the same model parameters", () => {
    const m = app.model!;
    expect(m.timeUnit).toBe(cli.model.timeUnit);
    for (const k of ["r", "alpha", "a", "b", "logLikelihood"] as const) expect(m.bgnbd[k]).toBeCloseTo(cli.model.bgnbd[k], 6);
    expect(m.gammaGamma).not.toBeNull();
    for (const k of ["p", "q", "v"] as const) expect(m.gammaGamma![k]).toBeCloseTo(cli.model.gammaGamma[k], 6);
    // The demo shop's orders carry discount codes and refunds; the app reads them from its synced
    // orders, the CLI from the export, and both give them to the churn score (ADR 110).
    expect(m.churn!.signals).toEqual(cli.model.churn.signals);
    console.log(`churn score signals on the demo shop: ${JSON.stringify(m.churn!.signals)}`);
  });

  it("gives every customer the same class, flags and scores as the CLI's customers CSV", async () => {
    const rows = (await querySegment(h.db.sql, SHOP, parseExplorerQuery(new URLSearchParams({ limit: "250" })))).total;
    expect(rows).toBe(csv.size);
    const all = await h.db.sql.query<any>(
      `SELECT "customerId"::text id, "lapseClass", overdue, vip, target, branch, orders, "daysSinceLast", "totalSpent", "pBuy", "churnRisk", "expectedOrderValue"
      FROM "CustomerScore" WHERE shop = $1`,
      [SHOP],
    );
    let compared = 0;
    for (const r of all) {
      const c = csv.get(r.id)!;
      expect(c, r.id).toBeTruthy();
      expect([
        r.lapseClass,
        String(r.overdue),
        String(r.vip),
        String(r.target),
        r.branch?.toLowerCase() ?? "",
        String(r.orders),
        String(r.daysSinceLast),
      ]).toEqual([c.class, c.overdue, c.vip, c.target, c.branch, c.orders, c.days_since_last_order]);
      expect(r.totalSpent).toBeCloseTo(Number(c.total_spent), 6);
      expect(r.pBuy).toBeCloseTo(Number(c.p_buy_within_90d), 6);
      expect(r.churnRisk).toBeCloseTo(Number(c.churn_risk), 6);
      if (c.expected_order_value) expect(r.expectedOrderValue).toBeCloseTo(Number(c.expected_order_value), 4);
      compared++;
    }
    expect(compared).toBe(csv.size);
  });
});
