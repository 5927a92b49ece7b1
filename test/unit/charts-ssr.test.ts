import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { AppProvider } from "@shopify/polaris";
import en from "@shopify/polaris/locales/en.json" with { type: "json" };
import { describe, expect, it } from "vitest";
import { ChurnRiskChart, RecencyChart } from "../../app/components/analysis/charts";
import { ReactivationChart } from "../../app/components/campaigns/ReactivationChart";
import { ExpiryChart } from "../../app/components/points/ExpiryChart";
import { FormatProvider } from "../../app/components/FormatProvider";
import { formatContext } from "../../app/lib/format";

// The charts are in the server's HTML (no JavaScript needed to see them): real SVG with one shape per bar.
const render = (el: ReturnType<typeof createElement>) =>
  renderToString(
    createElement(
      AppProvider,
      { i18n: en },
      createElement(FormatProvider, { value: formatContext({ currencyCode: "USD", ianaTimezone: "UTC" }) }, el),
    ),
  );
const bars = (html: string) => (html.match(/class="recharts-rectangle/g) ?? []).length;

describe("charts render on the server", () => {
  it("recency and churn-risk histograms", () => {
    const recency = render(
      createElement(RecencyChart, {
        bins: [
          { from: 0, to: 15, count: 40 },
          { from: 15, to: 30, count: 25 },
          { from: 30, to: null, count: 10 },
        ],
        binDays: 15,
        thresholds: { atRisk: 90, highRisk: 120, lost: 365 },
      }),
    );
    expect(recency).toContain("<svg");
    expect(bars(recency)).toBe(3);
    expect(recency).toContain("recharts-reference-line");
    const churn = render(
      createElement(ChurnRiskChart, {
        bins: [
          { from: 0, to: 0.5, count: 3 },
          { from: 0.5, to: 1, count: 7 },
        ],
      }),
    );
    expect(bars(churn)).toBe(2);
  });

  it("campaign reactivation lines and points expiry bars", () => {
    const lines = render(
      createElement(ReactivationChart, {
        series: [
          { day: 0, treated: 0, holdout: 0 },
          { day: 1, treated: 0.05, holdout: 0.01 },
          { day: 2, treated: 0.08, holdout: 0.02 },
        ],
      }),
    );
    expect(lines).toContain("<svg");
    expect((lines.match(/class="recharts-curve recharts-line-curve"/g) ?? []).length).toBe(2);
    const expiry = render(
      createElement(ExpiryChart, {
        weeks: [
          { weekStart: "2026-11-23", points: 120, value: 6, lots: 2 },
          { weekStart: "2026-11-30", points: 80, value: 4, lots: 1 },
        ],
        formatMoney: (n: number) => `$${n.toFixed(2)}`,
      }),
    );
    expect(bars(expiry)).toBe(2);
  });

  it("names a chart's clip path the same however many charts the server drew before (hydration compares it)", () => {
    const chart = () =>
      render(
        createElement(ChurnRiskChart, {
          bins: [
            { from: 0, to: 0.5, count: 3 },
            { from: 0.5, to: 1, count: 7 },
          ],
        }),
      );
    const first = chart();
    expect(first).toMatch(/<clipPath id="[^"]+-clip"/);
    // A long-running server renders many pages; the browser hydrates its first.
    expect(chart()).toBe(first);
  });

  it("gives every axis a numeric interval, so the browser does not thin out ticks the server drew", () => {
    // Recharts measures tick labels only in the browser (the server cannot): with any other
    // interval the first client render differs from the server's SVG and hydration fails.
    const dir = path.resolve(import.meta.dirname, "../../app/components");
    const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".tsx"));
    const axes = files.flatMap((f) =>
      (readFileSync(path.join(dir, f), "utf8").match(/<[XY]Axis\b[\s\S]*?\/>/g) ?? []).map((tag) => `${f}: ${tag}`),
    );
    expect(axes.length).toBeGreaterThan(0);
    expect(axes.filter((a) => !/\binterval=\{/.test(a))).toEqual([]);
  });
});
