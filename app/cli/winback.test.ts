import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const run = (...args: string[]) => spawnSync(process.execPath, [join(root, "bin/winback.mjs"), ...args], { encoding: "utf8", cwd: root });
const dir = mkdtempSync(join(tmpdir(), "winback-cli-"));

const order = (id: number, cust: number | null, at: string, amount: string, extra: object = {}) =>
  JSON.stringify({
    id: `gid://shopify/Order/${id}`,
    processedAt: at,
    createdAt: at,
    cancelledAt: null,
    test: false,
    displayFinancialStatus: "PAID",
    currentTotalPriceSet: { shopMoney: { amount, currencyCode: "USD" } },
    customer: cust === null ? null : { id: `gid://shopify/Customer/${cust}` },
    ...extra,
  });
const item = (id: number, parent: number) =>
  JSON.stringify({
    id: `gid://shopify/LineItem/${id}`,
    quantity: 1,
    product: { id: "gid://shopify/Product/1" },
    __parentId: `gid://shopify/Order/${parent}`,
  });

describe("winback analyze CLI", () => {
  it("reproduces CDNOW estimates via --json and writes customers CSV", () => {
    const out = join(dir, "customers.csv");
    const r = run(
      "analyze",
      "--input",
      "test/fixtures/cdnow/cdnow_sample_transactions.csv",
      "--as-of",
      "1997-09-30",
      "--json",
      "--customers-out",
      out,
    );
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.asOf).toBe("1997-09-30");
    expect(j.customers).toBe(2357);
    expect(j.model.timeUnit).toBe("week");
    expect(j.model.bgnbd.r).toBeCloseTo(0.243, 3);
    expect(j.model.bgnbd.logLikelihood).toBeCloseTo(-9582.4, 1);
    expect(j.model.gammaGamma.p).toBeCloseTo(6.25, 2);
    const csv = readFileSync(out, "utf8").trim().split("\n");
    expect(csv).toHaveLength(2358);
    const head = csv[0].split(",");
    for (const col of ["customer_id", "class", "overdue", "vip", "p_buy_within_90d", "expected_purchases_90d", "churn_risk"])
      expect(head).toContain(col);
    expect(head).not.toContain("p_alive");
    expect(j.model.churn.horizonDays).toBe(90);
  });

  it("--horizon-days names the horizon in the CSV and trains the score for it", () => {
    const out = join(dir, "customers-273.csv");
    const r = run(
      "analyze",
      "--input",
      "test/fixtures/cdnow/cdnow_sample_transactions.csv",
      "--as-of",
      "1997-09-30",
      "--horizon-days",
      "273",
      "--json",
      "--customers-out",
      out,
    );
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.model.churn.horizonDays).toBe(273);
    expect(j.model.churn.reliability).toHaveLength(10);
    const csv = readFileSync(out, "utf8").trim().split("\n");
    const head = csv[0].split(",");
    const pCol = head.indexOf("p_buy_within_273d"),
      riskCol = head.indexOf("churn_risk");
    expect(pCol).toBeGreaterThan(-1);
    let sum = 0;
    for (const line of csv.slice(1)) {
      const cells = line.split(",");
      expect(Number(cells[pCol]) + Number(cells[riskCol])).toBeCloseTo(1, 9);
      sum += Number(cells[pCol]);
    }
    expect(sum / (csv.length - 1)).toBeCloseTo(j.meanPBuy, 9);
    const text = run(
      "analyze",
      "--input",
      "test/fixtures/cdnow/cdnow_sample_transactions.csv",
      "--as-of",
      "1997-09-30",
      "--horizon-days",
      "273",
    );
    expect(text.stdout).toMatch(/P\(order within 273 days\)/);
    const bad = run("analyze", "--input", "test/fixtures/cdnow/cdnow_sample_transactions.csv", "--horizon-days", "0");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--horizon-days must be/);
  });

  it("reads Shopify JSONL with children before and after parents, skips malformed lines", () => {
    const f = join(dir, "orders.jsonl");
    writeFileSync(
      f,
      [
        item(100, 1),
        order(1, 5, "2024-01-01T10:00:00Z", "10.00"),
        JSON.stringify({ id: "gid://shopify/Customer/5", email: "x@example.com" }),
        order(2, 5, "2024-02-01T10:00:00Z", "20.00"),
        item(101, 2),
        "{not json",
        order(3, 6, "2024-03-01T23:30:00Z", "5.00"),
        order(4, null, "2024-03-02T10:00:00Z", "7.00"),
        order(5, 6, "2024-03-03T10:00:00Z", "99.00", { test: true }),
        order(6, 6, "2024-03-04T10:00:00Z", "99.00", { cancelledAt: "2024-03-05T00:00:00Z" }),
        order(7, 5, "2024-09-01T10:00:00Z", "1000.00"),
      ].join("\n") + "\n",
    );
    const r = run("analyze", "--input", f, "--as-of", "2024-06-01", "--timezone", "Asia/Tokyo", "--json");
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/orders\.jsonl:6: skipped malformed line/);
    const j = JSON.parse(r.stdout);
    expect(j.customers).toBe(2);
    expect(j.shop).toMatchObject({ orders: 4, guestOrders: 1, revenue: 42 });
    expect(j.classes.at_risk).toBe(1); // customer 6: last order 2024-03-02 Tokyo -> 91 days
    expect(j.model).toBeNull();
    expect(r.stdout).not.toMatch(/at .*\.ts:/);
  });

  it("fails cleanly when nothing valid remains or options are bad", () => {
    const f = join(dir, "bad.csv");
    writeFileSync(f, "customer_id,date,amount\nx,notadate,1\ny,2024-01-01,abc\n");
    const r = run("analyze", "--input", f);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/bad\.csv:2/);
    expect(r.stderr).toMatch(/no valid orders/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const r2 = run("analyze", "--input", f, "--timezone", "Nowhere/City");
    expect(r2.status).not.toBe(0);
    expect(r2.stderr).toMatch(/time zone/);
  });
});
