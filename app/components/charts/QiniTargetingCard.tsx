import { Banner, BlockStack, Card, FormLayout, Select, Text, TextField } from "@shopify/polaris";
import { useFormat } from "../FormatProvider";
import { QiniChart, type QiniPointView } from "./QiniChart";

/** What the plan preview says of targeting (app/campaigns/page.server.ts PlanPreview.targeting). */
export interface TargetingView {
  by: "risk" | "profit";
  requested: "risk" | "profit";
  fallbackReason: string | null;
  candidates: number;
  chosen: number;
  expectedDiscountCost: number;
  comparison: {
    customers: number;
    budgetShare: number;
    byProfit: number;
    byRisk: number;
    curve: QiniPointView[];
  } | null;
}

export interface TargetingFields {
  targetingBy: string;
  targetMaxCustomers: string;
  targetMaxDiscountCost: string;
  marginPercent: string;
}

/**
 * The plan's targeting (ADR 100): whom the Standard offer goes to, the budget, and, once past
 * campaigns have enough treated and holdout outcomes, how targeting by expected incremental profit
 * did against targeting by churn risk on past customers the model did not learn from. Below that,
 * a banner says why the plan targets by risk and what is missing.
 */
export function QiniTargetingCard({
  targeting,
  fields,
  onChange,
  errors,
  currencyCode,
}: {
  targeting: TargetingView;
  fields: TargetingFields;
  onChange: (k: keyof TargetingFields) => (v: string) => void;
  errors: Record<string, string>;
  currencyCode: string;
}) {
  const f = useFormat();
  const cmp = targeting.comparison;
  return (
    <Card>
      <BlockStack gap="300">
        <Text as="h2" variant="headingMd">
          Who gets the Standard offer
        </Text>
        <FormLayout>
          <FormLayout.Group>
            <Select
              label="Target by"
              options={[
                { label: "Churn risk (highest first)", value: "risk" },
                { label: "Expected incremental profit", value: "profit" },
              ]}
              value={fields.targetingBy}
              onChange={onChange("targetingBy")}
              error={errors.targetingBy}
            />
            <TextField
              label="Gross margin"
              type="text"
              inputMode="decimal"
              suffix="%"
              value={fields.marginPercent}
              onChange={onChange("marginPercent")}
              autoComplete="off"
              error={errors.marginPercent}
              helpText="Profit = extra orders × order value × margin − the discount's cost."
            />
          </FormLayout.Group>
          <FormLayout.Group>
            <TextField
              label="At most this many customers"
              type="text"
              inputMode="numeric"
              value={fields.targetMaxCustomers}
              onChange={onChange("targetMaxCustomers")}
              autoComplete="off"
              error={errors.targetMaxCustomers}
              helpText="Blank: no limit."
            />
            <TextField
              label="At most this expected discount cost"
              type="text"
              inputMode="decimal"
              suffix={currencyCode}
              value={fields.targetMaxDiscountCost}
              onChange={onChange("targetMaxDiscountCost")}
              autoComplete="off"
              error={errors.targetMaxDiscountCost}
              helpText="Blank: no limit."
            />
          </FormLayout.Group>
        </FormLayout>
        <Text as="p" tone="subdued" id="plan-targeting">
          {`${f.number(targeting.chosen)} of ${f.number(targeting.candidates)} Standard targets chosen by ${
            targeting.by === "profit" ? "expected incremental profit" : "churn risk"
          }` +
            (targeting.expectedDiscountCost > 0 ? `, expected discount cost ${f.money(targeting.expectedDiscountCost)}` : "") +
            ". VIPs always get their check-in."}
        </Text>
        {targeting.fallbackReason ? (
          <Banner tone="info" title="Targeting by churn risk for now">
            <p id="plan-targeting-fallback">{targeting.fallbackReason}</p>
          </Banner>
        ) : null}
        {!cmp && !targeting.fallbackReason && targeting.requested === "risk" ? (
          <Text as="p" tone="subdued" id="plan-targeting-hint">
            Choose expected incremental profit to see, on past customers the model did not learn from, how it compares with churn risk at
            this budget.
          </Text>
        ) : null}
        {cmp ? (
          <BlockStack gap="200">
            <Text as="p" id="plan-uplift-figure">
              {cmp.byProfit >= cmp.byRisk
                ? `${f.money(cmp.byProfit - cmp.byRisk)} more incremental revenue at this budget than targeting by churn risk`
                : `${f.money(cmp.byRisk - cmp.byProfit)} less incremental revenue at this budget than targeting by churn risk`}
              {` (${f.money(cmp.byProfit)} against ${f.money(cmp.byRisk)}, measured on ${f.number(cmp.customers)} past customers the model did not learn from, the top ${f.percent(cmp.budgetShare, 0)} of them).`}
            </Text>
            <QiniChart curve={cmp.curve} budgetShare={cmp.budgetShare} />
          </BlockStack>
        ) : null}
      </BlockStack>
    </Card>
  );
}
