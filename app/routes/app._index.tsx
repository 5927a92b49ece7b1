import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData } from "@remix-run/react";
import { Banner, BlockStack, Card, InlineGrid, Layout, Page, Text } from "@shopify/polaris";
import { loadHome, retryConsentUpdates } from "../home.server";
import { adminScope, appContext } from "../app.server";
import { jsonError } from "../lib/http";
import { loadEmailStatus } from "../messaging/page.server";
import { EmailStatusBanner } from "../components/EmailStatusBanner";
import { SyncStatusCard } from "../components/SyncStatusCard";
import { RiskDashboard } from "../components/analysis/RiskDashboard";
import { WonBackCard } from "../components/analysis/WonBackCard";
import { useFormat } from "../components/FormatProvider";

export const loader = async ({ request }: LoaderFunctionArgs) =>
  adminScope(request, async ({ admin, session }) => {
    const [home, email] = await Promise.all([
      loadHome(appContext, { shop: session.shop, admin }),
      loadEmailStatus(appContext, session.shop),
    ]);
    return json({ ...home, email });
  });

/** POST intent=retry-consent: queue every unsubscribe Shopify has not accepted again. */
export const action = async ({ request }: ActionFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    const form = await request.formData();
    if (form.get("intent") !== "retry-consent") return jsonError(400, "Unknown action");
    return json(await retryConsentUpdates(appContext, session.shop));
  });

export default function Home() {
  const { overview, sync, analysis, consent, protectedData, email, wonBack } = useLoaderData<typeof loader>();
  const f = useFormat();
  const plural = (n: number, one: string, many: string) => `${f.number(n)} ${n === 1 ? one : many}`;
  const retry = useFetcher<{ queued?: number; error?: string }>();
  return (
    <Page title="Winback">
      <Layout>
        {protectedData ? (
          <Layout.Section>
            <Banner tone="warning" title={protectedData.title}>
              <Text as="p" id="protected-data-message">
                {protectedData.message}
              </Text>
            </Banner>
          </Layout.Section>
        ) : null}
        {!email.mailServer || !email.postalAddress ? (
          <Layout.Section>
            <EmailStatusBanner status={email} />
          </Layout.Section>
        ) : null}
        {consent.rejected > 0 ? (
          <Layout.Section>
            <Banner
              tone="critical"
              title={`Shopify did not accept ${plural(consent.rejected, "unsubscribe", "unsubscribes")}`}
              action={{
                content: "Retry now",
                loading: retry.state !== "idle",
                onAction: () => retry.submit({ intent: "retry-consent" }, { method: "post" }),
              }}
            >
              <BlockStack gap="200">
                <Text as="p">
                  Winback no longer emails these customers, but Shopify still shows them as subscribed to email marketing, so other tools
                  sending from Shopify may still email them. Winback retries once a day and after the app is updated.
                </Text>
                {consent.latest ? (
                  <Text as="p" id="consent-rejection">
                    Shopify&apos;s answer{consent.latest.code ? ` (${consent.latest.code})` : ""}: {consent.latest.message}
                  </Text>
                ) : null}
                {consent.pending > 0 ? (
                  <Text as="p" tone="subdued">
                    {plural(consent.pending, "more is", "more are")} on the way to Shopify.
                  </Text>
                ) : null}
                {retry.data?.queued != null ? (
                  <Text as="p" tone="success">
                    {plural(retry.data.queued, "update", "updates")} sent again.
                  </Text>
                ) : null}
              </BlockStack>
            </Banner>
          </Layout.Section>
        ) : null}
        <Layout.Section>
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">
                {overview.name}
              </Text>
              <Text as="p" tone="subdued">
                {overview.myshopifyDomain} · {overview.currencyCode} · {overview.ianaTimezone}
              </Text>
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <InlineGrid columns={2} gap="400">
            <Card>
              <BlockStack gap="100">
                <Text as="h3" variant="headingSm">
                  Orders in Shopify
                </Text>
                <Text as="p" variant="heading2xl" id="orders-count">
                  {f.number(overview.ordersCount)}
                </Text>
              </BlockStack>
            </Card>
            <Card>
              <BlockStack gap="100">
                <Text as="h3" variant="headingSm">
                  Customers in Shopify
                </Text>
                <Text as="p" variant="heading2xl" id="customers-count">
                  {f.number(overview.customersCount)}
                </Text>
              </BlockStack>
            </Card>
          </InlineGrid>
        </Layout.Section>
        <RiskDashboard analysis={analysis} currencyCode={overview.currencyCode} />
        <WonBackCard report={wonBack} />
        <Layout.Section>
          <SyncStatusCard initial={sync} />
        </Layout.Section>
      </Layout>
    </Page>
  );
}
