import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Badge, Banner, BlockStack, Button, Card, EmptyState, FormLayout, IndexTable, InlineGrid, InlineStack, Layout, Page, Text, TextField } from "@shopify/polaris";
import { useAppBridge } from "@shopify/app-bridge-react";
import { authenticate } from "../shopify.server";
import { loadPointsPage, savePointsSettingsForm } from "../points/page.server";
import { appContext } from "../app.server";
import { ExpiryChart } from "../components/points/ExpiryChart";
import { useFormat } from "../components/FormatProvider";
import { EMPTY_STATE_IMAGE } from "../components/empty-state-image";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  return json(await loadPointsPage(session.shop));
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const result = await savePointsSettingsForm(session.shop, await request.formData(), appContext.queue);
  return json(result, { status: result.ok ? 200 : 400 });
};

export default function Points() {
  const { overview: o, themeEditorUrl } = useLoaderData<typeof loader>();
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
  const errors: Record<string, string> = result && !result.ok ? result.errors : {};
  useEffect(() => {
    if (result?.ok) shopify.toast.show("Points settings saved · recomputing balances");
    else if (result && !result.ok) shopify.toast.show("Check the highlighted fields", { isError: true });
  }, [result, shopify]);
  const field = (name: string, label: string, help?: string, suffix?: string, type: "number" | "text" = "number") => (
    // type="text": a number input would refuse "1,5" in some browsers; the server reads every locale (lib/number).
    <TextField label={label} name={name} type="text" inputMode={type === "number" ? "decimal" : undefined} autoComplete="off" value={values[name]} suffix={suffix} helpText={help} error={errors[name]}
      onChange={(v) => setValues((x) => ({ ...x, [name]: v }))} />
  );
  const hasPoints = o.customersWithPoints > 0 || o.atRisk.some((w) => w.points > 0);
  const scheduled = o.schedule.filter((d) => d.total > 0);

  return (
    <Page title="Points" subtitle="Loyalty points, what expires soon, and the reminders that save it">
      <Layout>
        <Layout.Section>
          <Banner title="Show shoppers their expiring points on the storefront" tone="info"
            action={{ content: "Enable the points banner", url: themeEditorUrl, target: "_blank" }}>
            <p>
              Opens your theme editor with the Winback points banner app embed switched on. Set its window to {s.bannerWindowDays} days to match the
              setting below; today {nf(o.bannerAudience)} customers have points expiring within it.
            </p>
          </Banner>
        </Layout.Section>

        {!hasPoints ? (
          <Layout.Section>
            <Card>
              <EmptyState heading="No points yet" image={EMPTY_STATE_IMAGE}>
                <p>Customers earn {s.pointsPerUnit} point per 1.00 spent. Balances appear here after the first orders are synced.</p>
              </EmptyState>
            </Card>
          </Layout.Section>
        ) : null}

        <Layout.Section>
          <InlineGrid columns={{ xs: 1, md: 4 }} gap="400">
            <Card>
              <BlockStack gap="100">
                <Text as="h3" variant="headingSm">Outstanding</Text>
                <Text as="p" variant="headingXl" id="points-outstanding">{nf(o.pointsOutstanding)}</Text>
                <Text as="p" tone="subdued">{money(o.valueOutstanding)} · {nf(o.customersWithPoints)} customers</Text>
              </BlockStack>
            </Card>
            {o.atRisk.map((w) => (
              <Card key={w.days}>
                <BlockStack gap="100">
                  <InlineStack gap="200" blockAlign="center">
                    <Text as="h3" variant="headingSm">At risk in {w.days} days</Text>
                    {w.days === 14 && w.points > 0 ? <Badge tone="warning">Soon</Badge> : null}
                  </InlineStack>
                  <Text as="p" variant="headingXl" id={`points-at-risk-${w.days}`}>{nf(w.points)}</Text>
                  <Text as="p" tone="subdued">{money(w.value)} · {nf(w.customers)} customers</Text>
                </BlockStack>
              </Card>
            ))}
          </InlineGrid>
        </Layout.Section>

        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">Upcoming expiries</Text>
              <ExpiryChart weeks={o.weeks} formatMoney={money} />
            </BlockStack>
          </Card>
        </Layout.Section>

        <Layout.Section variant="oneHalf">
          <Card padding="0">
            <BlockStack gap="200">
              <div style={{ padding: "16px 16px 0" }}>
                <Text as="h2" variant="headingMd">Reminder schedule (next 14 days)</Text>
              </div>
              <IndexTable resourceName={{ singular: "day", plural: "days" }} itemCount={scheduled.length} selectable={false}
                headings={[{ title: "Day" }, ...s.nudgeOffsetsDays.map((d) => ({ title: `T-${d}` })), { title: "Total" }]}
                emptyState={<div style={{ padding: 16 }}><Text as="p" tone="subdued">No reminders due in the next 14 days.</Text></div>}>
                {scheduled.map((d, i) => (
                  <IndexTable.Row id={d.date} key={d.date} position={i}>
                    <IndexTable.Cell>{d.date}</IndexTable.Cell>
                    {s.nudgeOffsetsDays.map((off) => <IndexTable.Cell key={off}>{nf(d.byOffset[String(off)] ?? 0)}</IndexTable.Cell>)}
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
              <Text as="h2" variant="headingMd">Reminder results</Text>
              <InlineStack gap="300">
                <Badge tone="success">{`${nf(o.results.redeemed)} redeemed before expiry`}</Badge>
                <Badge tone="critical">{`${nf(o.results.expired)} expired`}</Badge>
                <Badge>{`${nf(o.results.pending)} still open`}</Badge>
              </InlineStack>
              {o.results.byOffset.map((r) => (
                <Text as="p" key={r.offset}>
                  T-{r.offset}: {nf(r.sent)} sent · {nf(r.emailed)} emailed · {nf(r.skipped)} without email consent (Flow only)
                </Text>
              ))}
              <Text as="p" tone="subdued">
                {nf(o.redemptions.count)} rewards redeemed ({nf(o.redemptions.points)} points, {money(o.redemptions.value)}), {nf(o.redemptions.last30Days)} in the last 30 days.
              </Text>
            </BlockStack>
          </Card>
        </Layout.Section>

        <Layout.Section>
          <Card>
            <Form method="post">
              <BlockStack gap="400">
                <Text as="h2" variant="headingMd">Settings</Text>
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
                  <Button submit variant="primary" loading={nav.state === "submitting"}>Save</Button>
                </InlineStack>
              </BlockStack>
            </Form>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
