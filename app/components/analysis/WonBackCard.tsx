import { Badge, BlockStack, Card, DataTable, InlineStack, Layout, Text } from "@shopify/polaris";
import type { WonBackReport } from "../../analysis/won-back";
import { useFormat } from "../FormatProvider";

/** The health levels of won-back customers as badges (ADR 102). */
export const HEALTH_BADGES = {
  healthy: { label: "Healthy", tone: "success" },
  at_risk: { label: "At risk", tone: "attention" },
  lapsed: { label: "Lapsed again", tone: "critical" },
} as const;

/**
 * Dashboard card: how many customers the campaigns and programs won back are healthy, at risk of
 * lapsing again, or lapsed again, overall and per campaign, with the codes redeemed or ignored and
 * the storefront visits the emails brought. Holdout members who came back on their own are the
 * comparison. Nothing until a campaign has won someone back or sent a code.
 */
export function WonBackCard({ report }: { report: WonBackReport }) {
  const f = useFormat();
  const rows = report.campaigns.filter((c) => c.treated.total || c.holdout.total || c.codes.customers || c.visits.visits);
  if (!report.overall.total && !rows.length) return null;
  const levels = (["healthy", "at_risk", "lapsed"] as const).map((k) => ({ k, ...HEALTH_BADGES[k] }));
  return (
    <Layout.Section>
      <Card>
        <BlockStack gap="300">
          <Text as="h2" variant="headingMd">
            Won back
          </Text>
          <InlineStack gap="300" blockAlign="center">
            <Text as="p" variant="headingLg" id="won-back-total">
              {f.number(report.overall.total)}
            </Text>
            {levels.map((l) => (
              <Badge key={l.k} tone={l.tone}>
                {`${l.label}: ${f.number(report.overall[l.k])}`}
              </Badge>
            ))}
          </InlineStack>
          <Text as="p" tone="subdued">
            Lapsed again: no order within their own cycle (their usual gap × the overdue multiplier) after the win-back order. Risk{" "}
            {report.calibration.source === "shop_history"
              ? `from this shop's ${f.number(report.calibration.returns)} past returns after a long gap.`
              : report.calibration.pending
                ? "from the churn model while this shop's order history is read (it is used from the next view on)."
                : `from the churn model (fewer than 30 past returns after a long gap in this shop's history).`}
            {report.holdoutOverall.total
              ? ` Holdout customers who came back on their own: ${f.number(report.holdoutOverall.total)}, ${f.number(report.holdoutOverall.lapsed)} lapsed again.`
              : ""}
          </Text>
          {rows.length ? (
            <DataTable
              columnContentTypes={["text", "numeric", "numeric", "numeric", "numeric", "numeric", "numeric", "numeric"]}
              headings={["Campaign", "Won back", "Healthy", "At risk", "Lapsed again", "Codes redeemed", "Codes ignored", "Visits"]}
              rows={rows.map((c) => [
                c.kind === "program" ? `${c.name} (program)` : c.name,
                f.number(c.treated.total),
                f.number(c.treated.healthy),
                f.number(c.treated.at_risk),
                f.number(c.treated.lapsed),
                f.number(c.codes.redeemed),
                f.number(c.codes.ignored),
                f.number(c.visits.visits),
              ])}
            />
          ) : null}
        </BlockStack>
      </Card>
    </Layout.Section>
  );
}
