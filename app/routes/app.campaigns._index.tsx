import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { Card, EmptyState, IndexTable, Layout, Page, Text } from "@shopify/polaris";
import { database } from "../db.server";
import { loadCampaignList } from "../campaigns/page.server";
import { documentNavigate } from "../components/campaigns/navigation";
import { CampaignStatusBadge } from "../components/campaigns/CampaignStatusBadge";
import { useFormat } from "../components/FormatProvider";
import { EMPTY_STATE_IMAGE } from "../components/empty-state-image";
import { adminScope } from "../app.server";

export const loader = async ({ request }: LoaderFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    await database.ready();
    return json(await loadCampaignList(database.sql, session.shop));
  });

export default function Campaigns() {
  const { campaigns, targets } = useLoaderData<typeof loader>();
  const f = useFormat();
  const nf = (n: number) => f.number(n);
  const navigate = documentNavigate;
  return (
    <Page
      title="Campaigns"
      primaryAction={campaigns.length ? { content: "Plan a campaign", onAction: () => navigate("/app/campaigns/new") } : undefined}
      secondaryActions={[{ content: "Campaign settings", onAction: () => navigate("/app/settings/campaigns") }]}
    >
      <Layout>
        <Layout.Section>
          <Card padding={campaigns.length ? "0" : undefined}>
            {campaigns.length === 0 ? (
              <EmptyState
                heading="Win back customers who went quiet"
                action={{ content: "Plan a campaign", onAction: () => navigate("/app/campaigns/new") }}
                image={EMPTY_STATE_IMAGE}
              >
                <p>
                  {targets > 0
                    ? `${nf(targets)} customers are ready for a win-back campaign. Review the plan, then launch it in one click.`
                    : "Once your order history is analysed, the customers worth winning back appear here."}
                </p>
              </EmptyState>
            ) : (
              <IndexTable
                resourceName={{ singular: "campaign", plural: "campaigns" }}
                itemCount={campaigns.length}
                selectable={false}
                headings={[
                  { title: "Campaign" },
                  { title: "Status" },
                  { title: "Launched" },
                  { title: "Customers", alignment: "end" },
                  { title: "Reactivated (treated)", alignment: "end" },
                  { title: "Reactivated (holdout)", alignment: "end" },
                  { title: "Code" },
                ]}
              >
                {campaigns.map((c, i) => (
                  <IndexTable.Row id={c.id} key={c.id} position={i} onClick={() => navigate(`/app/campaigns/${c.id}`)}>
                    <IndexTable.Cell>
                      <Text as="span" fontWeight="semibold">
                        {c.name}
                      </Text>
                    </IndexTable.Cell>
                    <IndexTable.Cell>
                      <CampaignStatusBadge status={c.status} failed={!!c.launchError} />
                    </IndexTable.Cell>
                    <IndexTable.Cell>{c.launchAt ? f.date(c.launchAt) : "–"}</IndexTable.Cell>
                    <IndexTable.Cell>
                      <Text as="span" alignment="end" numeric>
                        {nf(c.members)}
                      </Text>
                    </IndexTable.Cell>
                    <IndexTable.Cell>
                      <Text as="span" alignment="end" numeric>{`${nf(c.reactivated)} of ${nf(c.treated)}`}</Text>
                    </IndexTable.Cell>
                    <IndexTable.Cell>
                      <Text as="span" alignment="end" numeric>{`${nf(c.holdoutReactivated)} of ${nf(c.holdout)}`}</Text>
                    </IndexTable.Cell>
                    <IndexTable.Cell>{c.discountCode}</IndexTable.Cell>
                  </IndexTable.Row>
                ))}
              </IndexTable>
            )}
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
