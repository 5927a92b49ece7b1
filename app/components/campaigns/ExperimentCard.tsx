import { Badge, BlockStack, Button, Card, IndexTable, InlineStack, Text } from "@shopify/polaris";
import type { ExperimentReport } from "../../campaigns/experiment";
import { useFormat } from "../FormatProvider";

/**
 * The campaign page's Experiment card (ADR 099): every offer arm against the shared holdout with
 * always-valid intervals, the winner only when its interval beats every other arm (else "No winner
 * yet", naming the leader), and the action that makes the winner the always-on program's offer.
 */
export function ExperimentCard({
  experiment: x,
  currencyCode,
  onPromote,
  promoting,
}: {
  experiment: ExperimentReport;
  currencyCode: string;
  onPromote: (arm: string) => void;
  promoting: boolean;
}) {
  const f = useFormat();
  const pct = (v: number | null | undefined) => (v == null ? "–" : f.percent(v, 1));
  const pts = (v: number) => `${v >= 0 ? "+" : ""}${f.fixed(v * 100, 1)}`;
  const money = (v: number | null | undefined) => (v == null ? "–" : f.money(v, { currency: currencyCode }));
  const r = x.result;
  const best = r.best ? x.arms.find((a) => a.key === r.best) : undefined;
  const leader = r.leader ? x.arms.find((a) => a.key === r.leader) : undefined;
  const rows = x.arms.map((a, i) => {
    const m = r.arms.find((y) => y.key === a.key)!;
    const lift = m.liftVsHoldout;
    return (
      <IndexTable.Row id={a.key} key={a.key} position={i}>
        <IndexTable.Cell>
          <BlockStack gap="050">
            <InlineStack gap="200" blockAlign="center">
              <Text as="span" fontWeight="semibold">
                {a.key} · {a.label}
              </Text>
              {r.best === a.key ? <Badge tone="success">Best offer</Badge> : null}
            </InlineStack>
            <Text as="span" tone="subdued" variant="bodySm">
              {a.code ?? "no code"}
              {a.subject ? ` · subject “${a.subject}”` : ""}
            </Text>
          </BlockStack>
        </IndexTable.Cell>
        <IndexTable.Cell>
          <Text as="span" numeric>
            {f.number(m.n)}
          </Text>
        </IndexTable.Cell>
        <IndexTable.Cell>
          <Text as="span" numeric>
            {f.number(m.reactivated)}
          </Text>
        </IndexTable.Cell>
        <IndexTable.Cell>
          <Text as="span" numeric>
            {pct(m.rate)}
          </Text>
        </IndexTable.Cell>
        <IndexTable.Cell>
          <Text as="span" numeric>
            {money(m.revenuePerMember)}
          </Text>
        </IndexTable.Cell>
        <IndexTable.Cell>
          {lift ? (
            <Text as="span" numeric tone={lift.low > 0 ? "success" : lift.high < 0 ? "critical" : undefined}>
              {pts(lift.estimate)} pts ({pts(lift.low)} to {pts(lift.high)})
            </Text>
          ) : (
            "–"
          )}
        </IndexTable.Cell>
        <IndexTable.Cell>
          <Text as="span" numeric>
            {f.number(m.redemptions)}
          </Text>
        </IndexTable.Cell>
      </IndexTable.Row>
    );
  });
  return (
    <Card>
      <BlockStack gap="300">
        <InlineStack align="space-between" blockAlign="center">
          <Text as="h2" variant="headingMd">
            Experiment
          </Text>
          {best ? <Badge tone="success">{`Winner: ${best.key} · ${best.label}`}</Badge> : <Badge tone="attention">No winner yet</Badge>}
        </InlineStack>
        <IndexTable
          resourceName={{ singular: "offer", plural: "offers" }}
          itemCount={x.arms.length}
          selectable={false}
          headings={[
            { title: "Offer" },
            { title: "Members", alignment: "end" },
            { title: "Reactivated", alignment: "end" },
            { title: "Rate", alignment: "end" },
            { title: "Revenue / member", alignment: "end" },
            { title: "Lift vs holdout (always-valid interval)", alignment: "end" },
            { title: "Redemptions", alignment: "end" },
          ]}
        >
          {rows}
        </IndexTable>
        <Text as="p" tone="subdued" variant="bodySm">
          Holdout: {pct(r.holdout.rate)} ({f.number(r.holdout.reactivated)} of {f.number(r.holdout.n)}), revenue per member{" "}
          {money(r.holdout.revenuePerMember)}. Intervals stay valid however often you look (always-valid,{" "}
          {f.percent(r.alphaPerComparison, 2)} per comparison so that all comparisons together err at most 5%). The best offer is named only
          when its interval against every other offer is above zero ({r.metric === "revenue" ? "revenue per member" : "reactivation rate"}).
          {!best && leader ? ` ${leader.key} · ${leader.label} leads so far, but that can still be chance.` : ""}
        </Text>
        {best ? (
          <InlineStack align="end">
            <Button variant="primary" loading={promoting} disabled={!x.promotable} onClick={() => onPromote(best.key)}>
              Promote to always-on program
            </Button>
          </InlineStack>
        ) : null}
        {best ? (
          <Text as="p" tone="subdued" variant="bodySm">
            Customers who join the program from now on get this offer and its subject line. Customers it already emailed keep the code and
            end date they were sent.
          </Text>
        ) : null}
      </BlockStack>
    </Card>
  );
}
