import { NotesList } from "../components/outreach/NotesList";
import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { Badge, BlockStack, Box, Card, DataTable, EmptyState, InlineGrid, InlineStack, Layout, Link, Page, Text } from "@shopify/polaris";
import { adminScope, appContext } from "../app.server";
import { loadCustomerProfile, type ProfileData } from "../analysis/customer-profile.server";
import { HEALTH_BADGES } from "../components/analysis/WonBackCard";
import { throwAsResponse } from "../lib/http";
import { EMPTY_STATE_IMAGE } from "../components/empty-state-image";

export const loader = async ({ request, params }: LoaderFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    await appContext.db.ready();
    try {
      return json(await loadCustomerProfile(appContext.db.sql, session.shop, params.id ?? "", appContext.now()));
    } catch (e) {
      throwAsResponse(e);
    }
  });

const CLASS_BADGE: Record<string, { label: string; tone?: "success" | "attention" | "critical" }> = {
  active: { label: "Active", tone: "success" },
  at_risk: { label: "At risk", tone: "attention" },
  high_risk: { label: "High risk", tone: "critical" },
  lost: { label: "Lost" },
};

/** Order totals over time as bars: a viewBox scales with the card, so no measuring and no hydration drift. */
function OrdersChart({ orders }: { orders: Array<Pick<ProfileData["orders"][number], "id" | "counts" | "at" | "amount">> }) {
  const points = orders.filter((o) => o.counts);
  if (points.length < 2) return null;
  const W = 600;
  const H = 80;
  const min = Math.min(...points.map((p) => p.at));
  const span = Math.max(1, Math.max(...points.map((p) => p.at)) - min);
  const top = Math.max(1, ...points.map((p) => p.amount));
  return (
    <svg
      viewBox={`0 0 ${W} ${H + 2}`}
      width="100%"
      height={H + 2}
      role="img"
      aria-label="Order totals over time"
      preserveAspectRatio="none"
    >
      <line x1={0} x2={W} y1={H} y2={H} stroke="var(--p-color-border)" />
      {points.map((p) => {
        const x = 4 + ((p.at - min) / span) * (W - 8);
        const h = Math.max(2, (p.amount / top) * (H - 4));
        return <rect key={p.id} x={x - 2} y={H - h} width={4} height={h} fill="var(--p-color-bg-fill-info)" />;
      })}
    </svg>
  );
}

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <InlineStack gap="200" align="space-between" wrap={false}>
      <Text as="span" tone="subdued">
        {label}
      </Text>
      <Text as="span" alignment="end">
        {value}
      </Text>
    </InlineStack>
  );
}

export default function CustomerProfile() {
  const p = useLoaderData<typeof loader>();
  const cls = p.score ? (CLASS_BADGE[p.score.lapseClass] ?? { label: p.score.lapseClass }) : null;
  return (
    <Page
      title={p.name}
      subtitle={[p.email ?? "no email", p.phone].filter(Boolean).join(" · ")}
      backAction={{ content: "Segments", url: "/app/segments" }}
      titleMetadata={cls ? <Badge tone={cls.tone}>{cls.label}</Badge> : undefined}
      secondaryActions={[{ content: "Open in Shopify", url: p.adminUrl, target: "_top" }]}
    >
      <Layout>
        <Layout.Section>
          <BlockStack gap="400">
            <Card>
              <BlockStack gap="300">
                <Text as="h2" variant="headingMd">
                  Orders
                </Text>
                <InlineGrid columns={{ xs: 2, md: 4 }} gap="300">
                  <Fact label="Orders" value={String(p.summary.orders)} />
                  <Fact label="Spent" value={p.summary.spent} />
                  <Fact label="First order" value={p.summary.firstOrder} />
                  <Fact label="Last order" value={p.summary.lastOrder} />
                </InlineGrid>
                <OrdersChart orders={p.orders} />
                {p.orders.length ? (
                  <DataTable
                    columnContentTypes={["text", "text", "text", "numeric"]}
                    headings={["Order", "Date", "Status", "Total"]}
                    rows={p.orders.map((o) => [
                      o.name,
                      o.date,
                      <Badge key={o.id} tone={o.tone}>
                        {o.status}
                      </Badge>,
                      o.total,
                    ])}
                  />
                ) : (
                  <Text as="p" tone="subdued">
                    No orders stored for this customer.
                  </Text>
                )}
              </BlockStack>
            </Card>

            <Card>
              <BlockStack gap="300">
                <Text as="h2" variant="headingMd">
                  Campaigns and programs
                </Text>
                {p.memberships.length ? (
                  p.memberships.map((m) => (
                    <Box key={m.campaignId} paddingBlockEnd="200">
                      <BlockStack gap="200">
                        <InlineStack gap="200" blockAlign="center">
                          <Link url={m.kind === "program" ? "/app/programs" : `/app/campaigns/${m.campaignId}`}>{m.name}</Link>
                          <Badge>{m.kind === "program" ? "Program" : "Campaign"}</Badge>
                          <Badge tone={m.holdout ? "attention" : "info"}>{m.holdout ? "Holdout" : "Treated"}</Badge>
                          <Badge>{m.branch}</Badge>
                          {m.health ? <Badge tone={HEALTH_BADGES[m.health.level].tone}>{HEALTH_BADGES[m.health.level].label}</Badge> : null}
                          <Text as="span" tone="subdued">
                            {m.status}
                          </Text>
                        </InlineStack>
                        <InlineGrid columns={{ xs: 1, md: 3 }} gap="300">
                          <Fact label="Window" value={m.window} />
                          <Fact label="Exit" value={m.exit} />
                          <Fact label="Reactivated" value={m.reactivated} />
                        </InlineGrid>
                        {m.health ? (
                          <Text as="p" tone="subdued">
                            {`Risk of no order by ${m.health.windowEnds} (their own cycle after the win-back order): ${m.health.risk}, ${m.health.source}.`}
                          </Text>
                        ) : null}
                        {m.touches.length ? (
                          <DataTable
                            columnContentTypes={["numeric", "text", "text", "text"]}
                            headings={["Day", "Due", "Touch", "Reason"]}
                            rows={m.touches.map((t) => [t.day, t.due, t.state, t.reason ?? "—"])}
                          />
                        ) : null}
                      </BlockStack>
                    </Box>
                  ))
                ) : (
                  <Text as="p" tone="subdued">
                    Not in any campaign or program yet.
                  </Text>
                )}
              </BlockStack>
            </Card>

            <Card>
              <BlockStack gap="300">
                <Text as="h2" variant="headingMd">
                  Messages
                </Text>
                <Text as="p" tone="subdued" id="storefront-visits">
                  {p.visits.total
                    ? `Storefront visits: last ${p.visits.last}, ${p.visits.last30Days} in the last 30 days, ${p.visits.fromEmails} of ${p.visits.total} from an email.`
                    : "No storefront visits recorded (only logged-in visits where the customer allows analytics are counted)."}
                </Text>
                {p.messages.length ? (
                  <DataTable
                    columnContentTypes={["text", "text", "text", "text", "text"]}
                    headings={["When", "Kind", "Campaign", "Subject", "State"]}
                    rows={p.messages.map((m) => [
                      m.date,
                      m.kind,
                      m.campaign,
                      m.subject,
                      <InlineStack key={m.id} gap="100">
                        <Badge tone={m.status === "Sent" ? "success" : m.status === "Failed" ? "critical" : undefined}>{m.status}</Badge>
                        {m.clicked ? <Badge tone="magic">Clicked</Badge> : m.opened ? <Badge tone="info">Opened</Badge> : null}
                        {m.visited ? <Badge tone="success">Visited</Badge> : null}
                        {m.code ? (
                          <Badge
                            tone={m.code === "Ignored" ? "warning" : m.code === "Open" ? undefined : "success"}
                          >{`Code: ${m.code}`}</Badge>
                        ) : null}
                        {m.reason ? (
                          <Text as="span" tone="subdued">
                            {m.reason}
                          </Text>
                        ) : null}
                      </InlineStack>,
                    ])}
                  />
                ) : (
                  <Text as="p" tone="subdued">
                    No messages for this customer.
                  </Text>
                )}
              </BlockStack>
            </Card>

            <Card>
              <BlockStack gap="300">
                <Text as="h2" variant="headingMd">
                  VIP outreach
                </Text>
                {p.outreach.length ? (
                  p.outreach.map((t) => (
                    <BlockStack key={t.taskId} gap="200">
                      <InlineStack gap="200" blockAlign="center">
                        <Link url={`/app/outreach/${t.taskId}`}>{t.campaign}</Link>
                        <Badge>{t.status}</Badge>
                        <Text as="span" tone="subdued">
                          {t.concierge} · due {t.due}
                        </Text>
                      </InlineStack>
                      <Text as="p">{t.perk}</Text>
                      <NotesList notes={t.notes} />
                    </BlockStack>
                  ))
                ) : (
                  <Text as="p" tone="subdued">
                    No outreach task for this customer.
                  </Text>
                )}
              </BlockStack>
            </Card>
          </BlockStack>
        </Layout.Section>

        <Layout.Section variant="oneThird">
          <BlockStack gap="400">
            <Card>
              <BlockStack gap="200">
                <Text as="h2" variant="headingMd">
                  Score
                </Text>
                {p.score ? (
                  <BlockStack gap="200">
                    <InlineStack gap="100">
                      {p.score.branch ? <Badge>{p.score.branch}</Badge> : null}
                      {p.score.vip ? <Badge tone="magic">VIP</Badge> : null}
                      {p.score.overdue ? <Badge tone="warning">Overdue</Badge> : null}
                      {p.score.target ? <Badge tone="attention">Win-back target</Badge> : null}
                    </InlineStack>
                    <Fact label="Churn risk" value={p.score.churnRisk} />
                    <Fact label={`Chance of ordering within ${p.score.horizonDays} days`} value={p.score.buyChance} />
                    <Fact label="Expected next order" value={p.score.expectedNextOrder} />
                    <Fact label="Predicted value (12 months)" value={p.score.predictedValue} />
                    <Fact label="Expected order value" value={p.score.expectedOrderValue} />
                    {p.score.rfm.map((r) => (
                      <Fact key={r.label} label={r.label} value={r.value} />
                    ))}
                    {p.score.asOf ? (
                      <Text as="p" tone="subdued" variant="bodySm">
                        Scored as of {p.score.asOf}
                      </Text>
                    ) : null}
                  </BlockStack>
                ) : (
                  <EmptyState heading="Not scored yet" image={EMPTY_STATE_IMAGE}>
                    <p>The next analysis run scores this customer.</p>
                  </EmptyState>
                )}
              </BlockStack>
            </Card>

            <Card>
              <BlockStack gap="200">
                <Text as="h2" variant="headingMd">
                  Points
                </Text>
                {p.points ? (
                  <BlockStack gap="200">
                    <Fact label="Balance" value={`${p.points.balance} points`} />
                    <Fact label="Next expiry" value={p.points.nextExpiry} />
                    {p.points.lots.length ? (
                      <DataTable
                        columnContentTypes={["text", "text", "numeric", "numeric"]}
                        headings={["Earned", "Source", "Points", "Used"]}
                        rows={p.points.lots.map((l) => [l.earned, l.source, l.points, l.used])}
                      />
                    ) : null}
                    {p.points.redemptions.length ? (
                      <DataTable
                        columnContentTypes={["text", "text", "numeric", "text"]}
                        headings={["Redeemed", "Code", "Value", "State"]}
                        rows={p.points.redemptions.map((r) => [r.date, r.code, r.value, r.status])}
                      />
                    ) : null}
                  </BlockStack>
                ) : (
                  <Text as="p" tone="subdued">
                    Points are off for this shop.
                  </Text>
                )}
              </BlockStack>
            </Card>

            <Card>
              <BlockStack gap="200">
                <Text as="h2" variant="headingMd">
                  Contact
                </Text>
                <Fact label="Email marketing" value={p.emailConsent ? p.emailConsent.toLowerCase().replace(/_/g, " ") : "—"} />
                {p.tags.length ? (
                  <InlineStack gap="100">
                    {p.tags.map((t) => (
                      <Badge key={t}>{t}</Badge>
                    ))}
                  </InlineStack>
                ) : null}
                <Link url={p.adminUrl} target="_top">
                  Open customer in Shopify admin
                </Link>
              </BlockStack>
            </Card>
          </BlockStack>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
