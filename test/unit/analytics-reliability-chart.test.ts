import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { AppProvider } from "@shopify/polaris";
import en from "@shopify/polaris/locales/en.json" with { type: "json" };
import { describe, expect, it } from "vitest";
import { ReliabilityChart } from "../../app/components/analysis/ReliabilityChart";
import { FormatProvider } from "../../app/components/FormatProvider";
import { formatContext } from "../../app/lib/format";

const render = (el: ReturnType<typeof createElement>) =>
  renderToString(
    createElement(
      AppProvider,
      { i18n: en },
      createElement(FormatProvider, { value: formatContext({ currencyCode: "USD", ianaTimezone: "UTC" }) }, el),
    ),
  );

describe("reliability chart (Segments page)", () => {
  const reliability = Array.from({ length: 10 }, (_, i) => ({ predicted: 0.05 + i * 0.08, observed: 0.04 + i * 0.085, customers: 100 }));
  it("draws one point per decile and the diagonal on the server, and names the window it checked", () => {
    const html = render(
      createElement(ReliabilityChart, { horizonDays: 273, trainedDays: 114, cut: "1997-06-08", asOf: "1997-09-30", reliability }),
    );
    expect(html).toContain("<svg");
    expect((html.match(/class="recharts-symbols"/g) ?? []).length).toBe(10);
    expect(html).toContain("recharts-reference-line");
    expect(html).toContain("within 114 days");
    expect(html).toMatch(/too short to check the full 273-day horizon/);
  });
  it("says the horizon was checked in full when the inner split is as long as the horizon", () => {
    const html = render(
      createElement(ReliabilityChart, { horizonDays: 91, trainedDays: 91, cut: "1997-07-01", asOf: "1997-09-30", reliability }),
    );
    expect(html).toContain("91-day horizon was checked in full");
    expect(html).toContain("order history only");
  });
  it("names the signals beyond order history the score learnt from (ADR 110)", () => {
    const html = render(
      createElement(ReliabilityChart, {
        horizonDays: 91,
        trainedDays: 91,
        cut: "1997-07-01",
        asOf: "1997-09-30",
        reliability,
        signals: ["discount", "refund", "click"],
      }),
    );
    expect(html).toContain("Besides order history, the score learnt from discount code use, refunds and clicks in your emails.");
  });
});
