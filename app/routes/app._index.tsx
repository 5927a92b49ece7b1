import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { BlockStack, Card, InlineGrid, Layout, Page, Text } from "@shopify/polaris";
import { authenticate } from "../shopify.server";
import { loadHome } from "../home.server";
import { SyncStatusCard } from "../components/SyncStatusCard";
import { RiskDashboard } from "../components/analysis/RiskDashboard";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { admin, session } = await authenticate.admin(request);
  return json(await loadHome({ shop: session.shop, admin }));
};

export default function Home() {
  const { overview, sync, analysis } = useLoaderData<typeof loader>();
  return (
    <Page title="Winback">
      <Layout>
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
                <Text as="h3" variant="headingSm">Orders in Shopify</Text>
                <Text as="p" variant="heading2xl" id="orders-count">{overview.ordersCount.toLocaleString("en-US")}</Text>
              </BlockStack>
            </Card>
            <Card>
              <BlockStack gap="100">
                <Text as="h3" variant="headingSm">Customers in Shopify</Text>
                <Text as="p" variant="heading2xl" id="customers-count">{overview.customersCount.toLocaleString("en-US")}</Text>
              </BlockStack>
            </Card>
          </InlineGrid>
        </Layout.Section>
        <RiskDashboard analysis={analysis} currencyCode={overview.currencyCode} />
        <Layout.Section>
          <SyncStatusCard initial={sync} />
        </Layout.Section>
      </Layout>
    </Page>
  );
}
