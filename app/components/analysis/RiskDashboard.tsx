import {
  Badge,
  Banner,
  BlockStack,
  Box,
  Button,
  Card,
  EmptyState,
  InlineGrid,
  InlineStack,
  Layout,
  ProgressBar,
  Text,
} from "@shopify/polaris";
import type { AnalysisRunView, AnalysisSummary, BranchSummary } from "../../analysis/run-analysis";
import { ChurnRiskChart, RecencyChart } from "./charts";
import { useFormat } from "../FormatProvider";
import { EMPTY_STATE_IMAGE } from "../empty-state-image";

type Analysis = { completed: AnalysisRunView | null; pending: AnalysisRunView | null; failed: AnalysisRunView | null };

function useFormats() {
  const f = useFormat();
  return {
    nf: (n: number) => f.number(Math.round(n)),
    pct: (x: number | null | undefined, d = 1) => (x == null ? "n/a" : f.percent(x, d)),
    money: (x: number | null | undefined, ccy: string) => (x == null ? "n/a" : f.money(x, { currency: ccy, whole: true })),
    f,
  };
}

const CLASSES = [
  { key: "active", label: "Active", tone: "success" },
  { key: "at_risk", label: "At risk", tone: "attention" },
  { key: "high_risk", label: "High risk", tone: "critical" },
  { key: "lost", label: "Lost", tone: undefined },
] as const;

function classRange(key: (typeof CLASSES)[number]["key"], s: AnalysisSummary) {
  const l = s.settings.lapse;
  return {
    active: `< ${l.atRiskDays} days`,
    at_risk: `${l.atRiskDays}–${l.highRiskDays - 1} days`,
    high_risk: `${l.highRiskDays}–${l.lostDays - 1} days`,
    lost: `${l.lostDays}+ days`,
  }[key];
}

/** Up is bad for silence, down is bad for orders per customer. */
function Trend({
  now,
  before,
  worseWhenHigher,
  format,
}: {
  now: number | null;
  before: number | null;
  worseWhenHigher: boolean;
  format: (x: number | null) => string;
}) {
  if (now == null || before == null)
    return (
      <Text as="span" tone="subdued">
        no comparison yet
      </Text>
    );
  const diff = now - before;
  const worse = worseWhenHigher ? diff > 0 : diff < 0;
  const tone = Math.abs(diff) < 1e-9 ? "info" : worse ? "critical" : "success";
  return (
    <InlineStack gap="200" blockAlign="center">
      <Text as="span" variant="headingMd">
        {format(now)}
      </Text>
      <Text as="span" tone="subdued">
        vs {format(before)}
      </Text>
      <Badge tone={tone}>{Math.abs(diff) < 1e-9 ? "unchanged" : worse ? "worse than the norm" : "better than the norm"}</Badge>
    </InlineStack>
  );
}

function BranchCard({
  title,
  tone,
  b,
  ccy,
  blurb,
  action,
}: {
  title: string;
  tone: "success" | "info";
  b: BranchSummary;
  ccy: string;
  blurb: string;
  action: { content: string; url: string };
}) {
  const { nf, pct, money } = useFormats();
  return (
    <Card>
      <BlockStack gap="300">
        <InlineStack align="space-between" blockAlign="center">
          <Text as="h3" variant="headingMd">
            {title}
          </Text>
          <Badge tone={tone}>{`${nf(b.targets)} to win back`}</Badge>
        </InlineStack>
        <Text as="p" tone="subdued">
          {blurb}
        </Text>
        <InlineGrid columns={4} gap="200">
          {[
            ["At risk", b.atRisk],
            ["High risk", b.highRisk],
            ["Overdue", b.overdueActive],
            ["Lost", b.lost],
          ].map(([k, v]) => (
            <BlockStack key={k as string} gap="050">
              <Text as="span" tone="subdued" variant="bodySm">
                {k}
              </Text>
              <Text as="span" variant="headingSm">
                {nf(v as number)}
              </Text>
            </BlockStack>
          ))}
        </InlineGrid>
        <Text as="p">
          Spent so far {money(b.totalSpent, ccy)} · predicted next 12 months {money(b.predictedValue12m, ccy)} · average churn risk{" "}
          {pct(b.avgChurnRisk, 0)}
        </Text>
        <InlineStack>
          <Button url={action.url} variant="primary">
            {action.content}
          </Button>
        </InlineStack>
      </BlockStack>
    </Card>
  );
}

export function RiskDashboard({ analysis, currencyCode }: { analysis: Analysis; currencyCode: string }) {
  const { nf, pct, money, f } = useFormats();
  const run = analysis.completed;
  const s = run?.summary;
  if (!run || !s) {
    return (
      <Layout.Section>
        <Card>
          {analysis.failed ? (
            <Banner tone="critical" title="The analysis could not be computed">
              <p>{analysis.failed.error}</p>
              <p>It is retried automatically; it also runs again after the next sync or settings change.</p>
            </Banner>
          ) : null}
          <EmptyState heading="Your risk dashboard is on its way" image={EMPTY_STATE_IMAGE}>
            <p>
              {analysis.pending
                ? "Analysing your order history: lapse classes, VIPs and churn risk appear here in a moment."
                : "As soon as your order history has synced, Winback sorts your customers into lapse classes and scores their churn risk."}
            </p>
            {analysis.pending ? (
              <Box paddingBlockStart="300">
                <ProgressBar progress={40} size="small" animated />
              </Box>
            ) : null}
          </EmptyState>
        </Card>
      </Layout.Section>
    );
  }
  const ccy = s.currencyCode || currencyCode;
  const hn = s.historicalNorm;
  return (
    <>
      {analysis.failed ? (
        <Layout.Section>
          <Banner tone="warning" title="The latest recompute failed; showing the previous analysis">
            <p>{analysis.failed.error}</p>
          </Banner>
        </Layout.Section>
      ) : null}
      {!run.model ? (
        <Layout.Section>
          <Banner tone="info" title="Not enough history yet to fit the prediction model">
            <p>{s.modelMessage}</p>
            <p>
              The lapse rules still apply: classes, overdue customers, VIPs and win-back targets below are exact. Churn risk is estimated
              from recency and each customer&apos;s own buying rhythm until there is enough data for the model.
            </p>
          </Banner>
        </Layout.Section>
      ) : null}
      <Layout.Section>
        <Card>
          <BlockStack gap="400">
            <InlineStack align="space-between" blockAlign="center">
              <Text as="h2" variant="headingMd">
                Risk summary
              </Text>
              <Text as="span" tone="subdued" id="analysis-as-of">
                As of {s.asOf} ({s.timeZone}){analysis.pending ? " · recomputing…" : ""}
              </Text>
            </InlineStack>
            <InlineGrid columns={{ xs: 2, md: 4 }} gap="300">
              {CLASSES.map((c) => (
                <Box key={c.key} padding="300" background="bg-surface-secondary" borderRadius="200">
                  <BlockStack gap="100">
                    <InlineStack gap="200" blockAlign="center">
                      <Badge tone={c.tone}>{c.label}</Badge>
                      <Text as="span" tone="subdued" variant="bodySm">
                        {classRange(c.key, s)}
                      </Text>
                    </InlineStack>
                    <Text as="p" variant="headingLg" id={`class-${c.key}`}>
                      {nf(s.classes[c.key].count)}
                    </Text>
                    <Text as="p" tone="subdued">
                      {pct(s.classes[c.key].share)} of {nf(s.customers)} customers
                    </Text>
                  </BlockStack>
                </Box>
              ))}
            </InlineGrid>
            <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
              <BlockStack gap="100">
                <Text as="h3" variant="headingSm">
                  Silent {s.settings.lapse.atRiskDays}+ days, now vs one year ago
                </Text>
                <Trend now={hn.silent90Share} before={hn.silent90SharePriorYear} worseWhenHigher format={(x) => pct(x)} />
              </BlockStack>
              <BlockStack gap="100">
                <Text as="h3" variant="headingSm">
                  Orders per customer, last 12 months vs the 12 before
                </Text>
                <Trend
                  now={hn.ordersPerCustomerLast12m}
                  before={hn.ordersPerCustomerPrior12m}
                  worseWhenHigher={false}
                  format={(x) => (x == null ? "n/a" : f.fixed(x, 2))}
                />
              </BlockStack>
            </InlineGrid>
            <Text as="p" tone="subdued" variant="bodySm">
              {nf(s.overdue)} overdue (silent more than {s.settings.overdue.gapMultiplier}× their usual gap) · {nf(s.vip)} VIPs (spent{" "}
              {money(s.vipThreshold, ccy)} or more) · {nf(s.shop.orders)} qualifying orders incl. {nf(s.shop.guestOrders)} guest orders ·{" "}
              {nf(s.excluded.test)} test and {nf(s.excluded.cancelled)} cancelled orders left out
            </Text>
          </BlockStack>
        </Card>
      </Layout.Section>
      <Layout.Section>
        <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
          <BranchCard
            title="VIP · high value"
            tone="success"
            b={s.branches.vip}
            ccy={ccy}
            blurb="Your best customers going quiet: a personal touch from customer service, early access, no blanket discounts."
            action={{ content: "Open Outreach", url: "/app/outreach" }}
          />
          <BranchCard
            title="Standard"
            tone="info"
            b={s.branches.standard}
            ccy={ccy}
            blurb="Everyone else worth winning back: a timed campaign with a discount as bait."
            action={{ content: "Plan a campaign", url: "/app/campaigns/new" }}
          />
        </InlineGrid>
      </Layout.Section>
      <Layout.Section>
        <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">
                Days since last order
              </Text>
              <RecencyChart
                bins={s.recency}
                binDays={s.recencyBinDays}
                thresholds={{
                  atRisk: s.settings.lapse.atRiskDays,
                  highRisk: s.settings.lapse.highRiskDays,
                  lost: s.settings.lapse.lostDays,
                }}
              />
            </BlockStack>
          </Card>
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">
                Churn risk
              </Text>
              <ChurnRiskChart bins={s.churnRisk} horizonDays={run.model?.churnModel ? s.settings.prediction.horizonDays : undefined} />
            </BlockStack>
          </Card>
        </InlineGrid>
      </Layout.Section>
      <Layout.Section>
        <Card>
          <BlockStack gap="200">
            <InlineStack align="space-between">
              <Text as="h2" variant="headingMd">
                Prediction model
              </Text>
              <Button url="/app/segments" variant="plain">
                Explore customers
              </Button>
            </InlineStack>
            {run.model ? (
              <Text as="p" tone="subdued">
                BG/NBD (time unit: {run.model.timeUnit}) r {run.model.bgnbd.r.toPrecision(4)}, α {run.model.bgnbd.alpha.toPrecision(4)}, a{" "}
                {run.model.bgnbd.a.toPrecision(4)}, b {run.model.bgnbd.b.toPrecision(4)} over {nf(run.model.bgnbd.customers)} customers
                {run.model.gammaGamma
                  ? ` · Gamma-Gamma p ${run.model.gammaGamma.p.toPrecision(4)}, q ${run.model.gammaGamma.q.toPrecision(4)}, v ${run.model.gammaGamma.v.toPrecision(4)}`
                  : ` · spend model not fitted: ${s.modelMessage ?? "too few repeat customers"}`}
              </Text>
            ) : (
              <Text as="p" tone="subdued">
                Not fitted: {s.modelMessage}
              </Text>
            )}
            <Text as="p" tone="subdued" variant="bodySm">
              Computed {run.finishedAt ? f.dateTime(run.finishedAt) : ""}; recomputed after each sync, a few minutes after new orders,
              daily, and when you change the settings.
            </Text>
          </BlockStack>
        </Card>
      </Layout.Section>
    </>
  );
}
