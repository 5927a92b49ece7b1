import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { AppProvider } from "@shopify/polaris";
import en from "@shopify/polaris/locales/en.json" with { type: "json" };
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RiskDashboard } from "../../app/components/analysis/RiskDashboard";
import { FormatProvider } from "../../app/components/FormatProvider";
import { formatContext } from "../../app/lib/format";
import { latestAnalysis, runAnalysis } from "../../app/analysis/run-analysis";
import { createTestDb, type TestDb } from "../support/db";
import { insertOrders, insertShop, SHOP } from "./support";

const render = (analysis: Awaited<ReturnType<typeof latestAnalysis>>) =>
  renderToString(
    createElement(
      AppProvider,
      { i18n: en },
      createElement(
        FormatProvider,
        { value: formatContext({ currencyCode: "USD", ianaTimezone: "UTC" }) },
        createElement(RiskDashboard, { analysis, currencyCode: "USD" }),
      ),
    ),
  ).replaceAll("<!-- -->", "");

describe("risk dashboard (server render)", () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb("pglite");
    await insertShop(t.db.sql, SHOP, "UTC");
  });
  afterAll(async () => t?.drop());

  it("shows the empty state while no analysis exists, and the running state", async () => {
    const html = render(await latestAnalysis(t.db.sql, SHOP));
    expect(html).toContain("Your risk dashboard is on its way");
    await t.db.sql.query(`INSERT INTO "AnalysisRun" (id, shop, "asOf", status, "startedAt") VALUES ('r0', $1, now(), 'running', now())`, [
      SHOP,
    ]);
    expect(render(await latestAnalysis(t.db.sql, SHOP))).toContain("Analysing your order history");
    await t.db.sql.query(`DELETE FROM "AnalysisRun"`);
  });

  it("shows class counts, both branches with their links, the norm, and the no-model banner", async () => {
    await insertOrders(t.db.sql, [
      { id: 1, customer: 1, at: "2024-06-01T12:00:00Z", total: "20.00" },
      { id: 2, customer: 2, at: "2024-02-01T12:00:00Z", total: "30.00" },
      { id: 3, customer: 3, at: "2023-03-01T12:00:00Z", total: "500.00" },
    ]);
    await runAnalysis({ sql: t.db.sql }, SHOP, { asOf: new Date("2024-06-30T12:00:00Z") });
    const html = render(await latestAnalysis(t.db.sql, SHOP));
    expect(html).toMatch(/id="class-active"[^>]*>1</);
    expect(html).toMatch(/id="class-high_risk"[^>]*>1</);
    expect(html).toMatch(/id="class-lost"[^>]*>1</);
    expect(html).toContain("Not enough history yet to fit the prediction model");
    expect(html).toContain('href="/app/outreach"');
    expect(html).toContain('href="/app/campaigns/new"');
    expect(html).toContain("As of 2024-06-30 (UTC)");
    expect(html).toContain('id="recency-chart"');
    expect(html).toContain("now vs one year ago");
  });
});
