import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { AppProvider } from "@shopify/polaris";
import en from "@shopify/polaris/locales/en.json" with { type: "json" };
import { describe, expect, it } from "vitest";
import { ExperimentCard } from "../../app/components/campaigns/ExperimentCard";
import { ExperimentArmsForm, armsToField, DEFAULT_ARMS } from "../../app/components/campaigns/ExperimentArmsForm";
import { FormatProvider } from "../../app/components/FormatProvider";
import { formatContext } from "../../app/lib/format";
import { measureExperiment, parseExperiment, planExperiment } from "../../app/domain/campaigns/experiment";
import type { ExperimentReport } from "../../app/campaigns/experiment";

// The Experiment card and the plan form's offers render on the server (Polaris, the shop's formats).
const render = (el: ReturnType<typeof createElement>) =>
  renderToString(
    createElement(
      AppProvider,
      { i18n: en },
      createElement(FormatProvider, { value: formatContext({ currencyCode: "EUR", ianaTimezone: "UTC" }) }, el),
    ),
  );
const t = (n: number, x: number) => ({ n, reactivated: x, revenueSum: x * 50, revenueSumSq: x * 2500 });

function report(xs: [number, number, number]): ExperimentReport {
  const e = parseExperiment({
    arms: [
      { offer: { kind: "percentage", value: 10 } },
      { offer: { kind: "percentage", value: 25 }, subject: "Yours" },
      { offer: { kind: "fixed_amount", value: 5 } },
    ],
  });
  const result = measureExperiment(
    e,
    e.arms.map((a, i) => ({ key: a.key, redemptions: 3, ...t(2000, xs[i]!) })),
    t(600, 25),
  );
  return {
    arms: e.arms.map((a) => ({ key: a.key, label: a.key, code: `COMEBACK-X-${a.key}`, subject: a.subject, offer: a.offer })),
    result,
    promotable: !!result.best,
  };
}

describe("offer experiment UI", () => {
  it("the card names the winner, shows each arm's always-valid lift and offers the promotion", () => {
    const html = render(
      createElement(ExperimentCard, { experiment: report([100, 260, 110]), currencyCode: "EUR", onPromote: () => {}, promoting: false }),
    );
    expect(html).toContain("Winner: B");
    expect(html).toContain("Best offer");
    expect(html).toContain("COMEBACK-X-B");
    expect(html).toContain("subject “Yours”");
    expect(html).toContain("Promote to always-on program");
    // React separates text pieces with empty comments on the server.
    expect(html.replace(/<!-- -->/g, "")).toMatch(/\+8\.8 pts \(\+\d+\.\d to \+\d+\.\d\)/);
  });

  it("without a winner: No winner yet, the leader named as such, no promotion", () => {
    const html = render(
      createElement(ExperimentCard, { experiment: report([250, 260, 110]), currencyCode: "EUR", onPromote: () => {}, promoting: false }),
    );
    expect(html).toContain("No winner yet");
    expect(html).toContain("leads so far");
    expect(html).not.toContain("Promote to always-on program");
  });

  it("the plan form lists each offer with its members and detectable lift", () => {
    const e = parseExperiment(JSON.parse(armsToField(true, DEFAULT_ARMS)));
    const plan = {
      ...planExperiment({ treated: 900, holdout: 100, arms: 2, baselineRate: 0.05 }),
      baselineRate: 0.05,
      arms: e.arms.map((a) => ({ key: a.key, label: `${a.key}-label`, members: 450 })),
    };
    const html = render(
      createElement(ExperimentArmsForm, { enabled: true, arms: DEFAULT_ARMS, onChange: () => {}, plan, currencyCode: "EUR" }),
    );
    expect(html).toContain("A-label");
    expect(html).toContain("B-label");
    expect(html).toContain("Detectable vs holdout");
    expect(html).toContain(`${(plan.mdeVsHoldout! * 100).toFixed(1)} pts`);
    expect(armsToField(false, DEFAULT_ARMS)).toBe("");
  });
});
