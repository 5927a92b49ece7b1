import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import {
  Badge,
  Banner,
  BlockStack,
  Button,
  Card,
  ChoiceList,
  EmptyState,
  FormLayout,
  IndexTable,
  InlineGrid,
  InlineStack,
  Layout,
  List,
  Modal,
  Page,
  Text,
  TextField,
} from "@shopify/polaris";
import { useAppBridge } from "@shopify/app-bridge-react";
import { handlePointsAction, loadPointsPage } from "../points/page.server";
import { adminScope, appContext } from "../app.server";
import { ExpiryChart } from "../components/points/ExpiryChart";
import { useFormat } from "../components/FormatProvider";
import { EMPTY_STATE_IMAGE } from "../components/empty-state-image";
import { EmailStatusBanner } from "../components/EmailStatusBanner";
import { loadEmailStatus } from "../messaging/page.server";
import { skipCountsByReason } from "../messaging/store";
import { SKIP_REASON_LABELS, type SkipReason } from "../messaging/types";

export const loader = async ({ request }: LoaderFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    // Why reminders were not emailed, in messaging's words (no mail server is never "without consent").
    const [page, email, reminderSkips] = await Promise.all([
      loadPointsPage(appContext, session.shop),
      loadEmailStatus(appContext, session.shop),
      skipCountsByReason(appContext.db.sql, session.shop, { kinds: ["points_nudge"] }),
    ]);
    return json({ ...page, email, reminderSkips });
  });

export const action = async ({ request }: ActionFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    const { result, status } = await handlePointsAction(appContext, session.shop, await request.formData());
    return json(result, { status });
  });

export default function Points() {
  const { overview: o, themeEditorUrl, email, reminderSkips } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const nav = useNavigation();
  const shopify = useAppBridge();
  const f = useFormat();
  const nf = (n: number) => f.number(n);
  const money = (n: number) => f.money(n, { currency: o.currencyCode });
  const s = o.settings;
  const [values, setValues] = useState<Record<string, string>>({
    pointsPerUnit: String(s.pointsPerUnit),
    lotLifetimeDays: String(s.lotLifetimeDays),
    ratePoints: String(s.redemptionRate.points),
    rateValue: String(s.redemptionRate.value),
    nudgeOffsetsDays: s.nudgeOffsetsDays.join(", "),
    bannerWindowDays: String(s.bannerWindowDays),
  });
  const settingsResult = result?.intent === "settings" ? result : undefined;
  const errors: Record<string, string> = settingsResult && !settingsResult.ok ? settingsResult.errors : {};
  const programError = result && result.intent !== "settings" && !result.ok ? result.errors.form : undefined;
  const [confirm, setConfirm] = useState<"on" | "off" | null>(null);
  const [pastOrders, setPastOrders] = useState<string[]>(["no"]);
  const enabled = s.program.enabled;
  useEffect(() => {
    if (!result) return;
    if (result.intent === "settings") {
      if (result.ok) shopify.toast.show(enabled ? "Points settings saved · recomputing balances" : "Points settings saved");
      else shopify.toast.show("Check the highlighted fields", { isError: true });
    } else if (result.ok) {
      shopify.toast.show(result.enabled ? "Points are on · computing balances" : "Points are off · clearing the storefront banner");
    }
  }, [result, shopify, enabled]);
  const field = (name: string, label: string, help?: string, suffix?: string, type: "number" | "text" = "number") => (
    // type="text": a number input would refuse "1,5" in some browsers; the server reads every locale (lib/number).
    <TextField
      label={label}
      name={name}
      type="text"
      inputMode={type === "number" ? "decimal" : undefined}
      autoComplete="off"
      value={values[name]}
      suffix={suffix}
      helpText={help}
      error={errors[name]}
      onChange={(v) => setValues((x) => ({ ...x, [name]: v }))}
    />
  );
  const hasPoints = o.customersWithPoints > 0 || o.atRisk.some((w) => w.points > 0);
  const scheduled = o.schedule.filter((d) => d.total > 0);

  return (
    <Page title="Points" subtitle="Loyalty points, what expires soon, and the reminders that save it">
      <Layout>
        {programError ? (
          <Layout.Section>
            <Banner tone="critical">{programError}</Banner>
          </Layout.Section>
        ) : null}

        {!enabled ? (
          <Layout.Section>
            <Card>
              <EmptyState
                heading="Points are off"
                image={EMPTY_STATE_IMAGE}
                action={{ content: "Turn on points", onAction: () => setConfirm("on") }}
              >
                <p>
                  Your customers see nothing of points until you turn them on: no balance, no storefront banner and no reminder emails. Set
                  the earn rate, expiry and reminders below first if you like.
                </p>
              </EmptyState>
            </Card>
          </Layout.Section>
        ) : (
          <>
            <Layout.Section>
              <Banner title="Points are on" tone="success" action={{ content: "Turn off points", onAction: () => setConfirm("off") }}>
                <p>
                  {s.program.earnFrom
                    ? `Orders placed since ${f.date(s.program.earnFrom)} earn points.`
                    : "Every order, past ones included, earns points."}{" "}
                  Customers with email consent get reminders before their points expire.
                </p>
              </Banner>
            </Layout.Section>
            <Layout.Section>
              <Banner
                title="Show shoppers their expiring points on the storefront"
                tone="info"
                action={{ content: "Enable the points banner", url: themeEditorUrl, target: "_blank" }}
              >
                <p>
                  Opens your theme editor with the Winback points banner app embed switched on. Set its window to {s.bannerWindowDays} days
                  to match the setting below; today {nf(o.bannerAudience)} customers have points expiring within it.
                </p>
              </Banner>
            </Layout.Section>
          </>
        )}

        {enabled && !hasPoints ? (
          <Layout.Section>
            <Card>
              <EmptyState heading="No points yet" image={EMPTY_STATE_IMAGE}>
                <p>Customers earn {s.pointsPerUnit} point per 1.00 spent. Balances appear here after the first orders are synced.</p>
              </EmptyState>
            </Card>
          </Layout.Section>
        ) : null}

        {enabled ? (
          <>
            <Layout.Section>
              <InlineGrid columns={{ xs: 1, md: 4 }} gap="400">
                <Card>
                  <BlockStack gap="100">
                    <Text as="h3" variant="headingSm">
                      Outstanding
                    </Text>
                    <Text as="p" variant="headingXl" id="points-outstanding">
                      {nf(o.pointsOutstanding)}
                    </Text>
                    <Text as="p" tone="subdued">
                      {money(o.valueOutstanding)} · {nf(o.customersWithPoints)} customers
                    </Text>
                  </BlockStack>
                </Card>
                {o.atRisk.map((w) => (
                  <Card key={w.days}>
                    <BlockStack gap="100">
                      <InlineStack gap="200" blockAlign="center">
                        <Text as="h3" variant="headingSm">
                          At risk in {w.days} days
                        </Text>
                        {w.days === 14 && w.points > 0 ? <Badge tone="warning">Soon</Badge> : null}
                      </InlineStack>
                      <Text as="p" variant="headingXl" id={`points-at-risk-${w.days}`}>
                        {nf(w.points)}
                      </Text>
                      <Text as="p" tone="subdued">
                        {money(w.value)} · {nf(w.customers)} customers
                      </Text>
                    </BlockStack>
                  </Card>
                ))}
              </InlineGrid>
            </Layout.Section>

            <Layout.Section>
              <Card>
                <BlockStack gap="300">
                  <Text as="h2" variant="headingMd">
                    Upcoming expiries
                  </Text>
                  <ExpiryChart weeks={o.weeks} formatMoney={money} />
                </BlockStack>
              </Card>
            </Layout.Section>

            <Layout.Section variant="oneHalf">
              <Card padding="0">
                <BlockStack gap="200">
                  <div style={{ padding: "16px 16px 0" }}>
                    <Text as="h2" variant="headingMd">
                      Reminder schedule (next 14 days)
                    </Text>
                  </div>
                  <IndexTable
                    resourceName={{ singular: "day", plural: "days" }}
                    itemCount={scheduled.length}
                    selectable={false}
                    headings={[{ title: "Day" }, ...s.nudgeOffsetsDays.map((d) => ({ title: `T-${d}` })), { title: "Total" }]}
                    emptyState={
                      <div style={{ padding: 16 }}>
                        <Text as="p" tone="subdued">
                          No reminders due in the next 14 days.
                        </Text>
                      </div>
                    }
                  >
                    {scheduled.map((d, i) => (
                      <IndexTable.Row id={d.date} key={d.date} position={i}>
                        <IndexTable.Cell>{d.date}</IndexTable.Cell>
                        {s.nudgeOffsetsDays.map((off) => (
                          <IndexTable.Cell key={off}>{nf(d.byOffset[String(off)] ?? 0)}</IndexTable.Cell>
                        ))}
                        <IndexTable.Cell>{nf(d.total)}</IndexTable.Cell>
                      </IndexTable.Row>
                    ))}
                  </IndexTable>
                </BlockStack>
              </Card>
            </Layout.Section>

            <Layout.Section variant="oneHalf">
              <Card>
                <BlockStack gap="300">
                  <Text as="h2" variant="headingMd">
                    Reminder results
                  </Text>
                  <InlineStack gap="300">
                    <Badge tone="success">{`${nf(o.results.redeemed)} redeemed before expiry`}</Badge>
                    <Badge tone="critical">{`${nf(o.results.expired)} expired`}</Badge>
                    <Badge>{`${nf(o.results.pending)} still open`}</Badge>
                  </InlineStack>
                  {o.results.byOffset.map((r) => (
                    <Text as="p" key={r.offset}>
                      T-{r.offset}: {nf(r.sent)} sent · {nf(r.emailed)} emailed · {nf(r.skipped)} not emailed (Flow only)
                    </Text>
                  ))}
                  {Object.keys(reminderSkips).length ? (
                    <Text as="p" tone="subdued" id="reminder-skip-reasons">
                      Not emailed:{" "}
                      {Object.entries(reminderSkips)
                        .map(([reason, n]) => `${nf(n)} ${SKIP_REASON_LABELS[reason as SkipReason] ?? SKIP_REASON_LABELS.unknown}`)
                        .join(" · ")}
                    </Text>
                  ) : null}
                  <EmailStatusBanner status={email} />
                  <Text as="p" tone="subdued">
                    {nf(o.redemptions.count)} rewards redeemed ({nf(o.redemptions.points)} points, {money(o.redemptions.value)}),{" "}
                    {nf(o.redemptions.last30Days)} in the last 30 days.
                  </Text>
                </BlockStack>
              </Card>
            </Layout.Section>
          </>
        ) : null}

        <Layout.Section>
          <Card>
            <Form method="post">
              <BlockStack gap="400">
                <Text as="h2" variant="headingMd">
                  Settings
                </Text>
                {errors.form ? <Banner tone="critical">{errors.form}</Banner> : null}
                <FormLayout>
                  <FormLayout.Group>
                    {field("pointsPerUnit", "Points per 1.00 spent", "Rounded down per order", "points")}
                    {field("lotLifetimeDays", "Points expire after", "Each order's points expire this long after the order", "days")}
                  </FormLayout.Group>
                  <FormLayout.Group>
                    {field("ratePoints", "Reward step", "Shoppers redeem in multiples of this", "points")}
                    {field("rateValue", "Each step is worth", `In ${o.currencyCode}`, o.currencyCode)}
                  </FormLayout.Group>
                  <FormLayout.Group>
                    {field("nudgeOffsetsDays", "Reminders before expiry", "Days, separated by commas (up to 5)", "days", "text")}
                    {field("bannerWindowDays", "Banner window", "Show the storefront banner this many days before points expire", "days")}
                  </FormLayout.Group>
                </FormLayout>
                <InlineStack align="end">
                  <Button submit variant="primary" loading={nav.state === "submitting"}>
                    Save
                  </Button>
                </InlineStack>
              </BlockStack>
            </Form>
          </Card>
        </Layout.Section>
      </Layout>
      <Modal open={confirm === "on"} onClose={() => setConfirm(null)} title="Turn on points?">
        <Form method="post" onSubmit={() => setConfirm(null)}>
          <input type="hidden" name="intent" value="turn-on" />
          <input type="hidden" name="pastOrders" value={pastOrders[0] ?? "no"} />
          <Modal.Section>
            <BlockStack gap="300">
              <Text as="p">Once points are on, your customers will see them:</Text>
              <List>
                <List.Item>
                  They earn {s.pointsPerUnit} point per 1.00 spent; points expire {s.lotLifetimeDays} days after the order.
                </List.Item>
                <List.Item>
                  Logged-in shoppers see their balance and expiring points in the storefront banner (when the app embed is on in your
                  theme).
                </List.Item>
                <List.Item>
                  Customers who agreed to email marketing get a reminder {s.nudgeOffsetsDays.join(", ")} days before their points expire.
                </List.Item>
                <List.Item>
                  They can turn every {s.redemptionRate.points} points into a {money(s.redemptionRate.value)} discount code.
                </List.Item>
              </List>
              <ChoiceList
                title="Do past orders earn points?"
                choices={[
                  { label: "No, only orders placed from now on", value: "no", helpText: "Everyone starts at zero today." },
                  {
                    label: "Yes, past orders earn points too",
                    value: "yes",
                    helpText: `Points from orders in the last ${s.lotLifetimeDays} days count at once, and reminders for points about to expire go out from tomorrow.`,
                  },
                ]}
                selected={pastOrders}
                onChange={setPastOrders}
              />
            </BlockStack>
          </Modal.Section>
          <Modal.Section>
            <InlineStack align="end" gap="200">
              <Button onClick={() => setConfirm(null)}>Cancel</Button>
              <Button submit variant="primary" loading={nav.state === "submitting"}>
                Turn on points
              </Button>
            </InlineStack>
          </Modal.Section>
        </Form>
      </Modal>
      <Modal open={confirm === "off"} onClose={() => setConfirm(null)} title="Turn off points?">
        <Form method="post" onSubmit={() => setConfirm(null)}>
          <input type="hidden" name="intent" value="turn-off" />
          <Modal.Section>
            <Text as="p">
              Reminders stop today, the storefront banner stops showing points and shoppers can no longer redeem them. Balances are kept: if
              you turn points on again, customers find them as they were.
            </Text>
          </Modal.Section>
          <Modal.Section>
            <InlineStack align="end" gap="200">
              <Button onClick={() => setConfirm(null)}>Cancel</Button>
              <Button submit variant="primary" tone="critical" loading={nav.state === "submitting"}>
                Turn off points
              </Button>
            </InlineStack>
          </Modal.Section>
        </Form>
      </Modal>
    </Page>
  );
}
