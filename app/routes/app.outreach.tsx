import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Outlet, useFetcher, useLoaderData, useLocation, useNavigate, useSearchParams } from "@remix-run/react";
import { useAppBridge } from "@shopify/app-bridge-react";
import {
  Badge,
  Banner,
  BlockStack,
  Card,
  ChoiceList,
  EmptyState,
  Filters,
  IndexTable,
  InlineStack,
  Layout,
  Link,
  Page,
  Text,
  useIndexResourceState,
} from "@shopify/polaris";
import type { IndexTableProps } from "@shopify/polaris";
import { useEffect, useRef, useState } from "react";
import { adminScope, appContext } from "../app.server";
import { handleQueueAction, loadOutreachPage } from "../outreach/page.server";
import { StatusBadge, STATUS_OPTIONS } from "../components/outreach/StatusBadge";
import { EMPTY_STATE_IMAGE } from "../components/empty-state-image";

export const loader = async ({ request }: LoaderFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    await appContext.db.ready();
    return json(await loadOutreachPage(appContext.db.sql, session.shop, new URL(request.url), appContext.now()));
  });

export const action = async ({ request }: ActionFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    await appContext.db.ready();
    const r = await handleQueueAction(appContext.db.sql, session.shop, await request.formData(), appContext.now());
    return json(r, { status: r.status });
  });

type SortKey = "due" | "spend" | "lastOrder" | "name" | "status" | "campaign";
// Column order of the table; null = not sortable.
const COLUMN_SORT: Array<SortKey | null> = ["name", "spend", "lastOrder", "campaign", null, null, "status", "due"];

export default function Outreach() {
  const data = useLoaderData<typeof loader>();
  const { rows, query, total, pageCount, options, summary, escalations, queryError } = data;
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const location = useLocation();
  const fetcher = useFetcher<{ ok: boolean; message: string }>();
  const shopify = useAppBridge();
  const { selectedResources, allResourcesSelected, handleSelectionChange, clearSelection } = useIndexResourceState(rows);
  const [search, setSearch] = useState(query.q);
  const [exporting, setExporting] = useState(false);
  const searchTimer = useRef<ReturnType<typeof setTimeout>>();

  useEffect(() => {
    if (fetcher.state !== "idle" || !fetcher.data) return;
    shopify.toast.show(fetcher.data.message, { isError: !fetcher.data.ok, duration: 5000 });
    if (fetcher.data.ok) clearSelection();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fetcher.state, fetcher.data]);

  const update = (change: (p: URLSearchParams) => void) => {
    const next = new URLSearchParams(params);
    change(next);
    next.delete("page"); // a new filter or sort starts at the first page
    setParams(next, { preventScrollReset: true });
  };
  const setMulti = (key: string, values: string[]) =>
    update((p) => {
      p.delete(key);
      for (const v of values) p.append(key, v);
    });

  const bulk = (to: string) => () =>
    fetcher.submit(
      { intent: "bulk", to, ids: JSON.stringify(allResourcesSelected ? rows.map((r) => r.id) : selectedResources) },
      { method: "post" },
    );

  if (options.total === 0) {
    return (
      <Page title="Outreach" secondaryActions={[{ content: "Concierge settings", url: "/app/settings/outreach" }]}>
        <Layout>
          <Layout.Section>
            <Card>
              <div data-testid="outreach-empty">
                <EmptyState
                  heading="No VIP outreach tasks yet"
                  action={{ content: "Launch a campaign to fill the queue", url: "/app/campaigns/new" }}
                  image={EMPTY_STATE_IMAGE}
                >
                  <p>
                    When a win-back campaign launches, every VIP in it gets a personal check-in task here: a concierge, a perk from their
                    own history, and a script.
                  </p>
                  <p>Set who the concierge is, when unanswered check-ins are followed up and who takes over in the concierge settings.</p>
                </EmptyState>
              </div>
            </Card>
          </Layout.Section>
        </Layout>
      </Page>
    );
  }

  const filters = [
    {
      key: "status",
      label: "Status",
      pinned: true,
      filter: (
        <ChoiceList
          title="Status"
          titleHidden
          allowMultiple
          choices={STATUS_OPTIONS}
          selected={query.status}
          onChange={(v) => setMulti("status", v)}
        />
      ),
    },
    {
      key: "concierge",
      label: "Concierge",
      pinned: true,
      filter: (
        <ChoiceList
          title="Concierge"
          titleHidden
          allowMultiple
          choices={options.concierges.map((c) => ({ label: c, value: c }))}
          selected={query.concierge}
          onChange={(v) => setMulti("concierge", v)}
        />
      ),
    },
    {
      key: "campaign",
      label: "Campaign",
      pinned: true,
      filter: (
        <ChoiceList
          title="Campaign"
          titleHidden
          allowMultiple
          choices={options.campaigns.map((c) => ({ label: c.name, value: c.id }))}
          selected={query.campaign}
          onChange={(v) => setMulti("campaign", v)}
        />
      ),
    },
    {
      key: "overdue",
      label: "Overdue",
      pinned: true,
      filter: (
        <ChoiceList
          title="Overdue"
          titleHidden
          choices={[
            { label: "Only overdue", value: "1" },
            { label: "All", value: "" },
          ]}
          selected={[query.overdue ? "1" : ""]}
          onChange={([v]) => update((p) => (v ? p.set("overdue", "1") : p.delete("overdue")))}
        />
      ),
    },
  ];
  const statusLabel = new Map(STATUS_OPTIONS.map((s) => [s.value, s.label]));
  const campaignName = new Map(options.campaigns.map((c) => [c.id, c.name]));
  const applied = [
    ...(query.status.length
      ? [
          {
            key: "status",
            label: `Status: ${query.status.map((s) => statusLabel.get(s)).join(", ")}`,
            onRemove: () => setMulti("status", []),
          },
        ]
      : []),
    ...(query.concierge.length
      ? [{ key: "concierge", label: `Concierge: ${query.concierge.join(", ")}`, onRemove: () => setMulti("concierge", []) }]
      : []),
    ...(query.campaign.length
      ? [
          {
            key: "campaign",
            label: `Campaign: ${query.campaign.map((c) => campaignName.get(c) ?? c).join(", ")}`,
            onRemove: () => setMulti("campaign", []),
          },
        ]
      : []),
    ...(query.overdue ? [{ key: "overdue", label: "Overdue", onRemove: () => update((p) => p.delete("overdue")) }] : []),
  ];

  const sortIndex = COLUMN_SORT.indexOf(query.sort);
  const onSort: IndexTableProps["onSort"] = (index, direction) => {
    const key = COLUMN_SORT[index];
    if (!key) return;
    update((p) => {
      p.set("sort", key);
      p.set("dir", direction === "descending" ? "desc" : "asc");
    });
  };
  const goPage = (page: number) => {
    const next = new URLSearchParams(params);
    next.set("page", String(page));
    setParams(next);
  };
  // Embedded: a plain link would open without the session token, so fetch with it and save the blob.
  const downloadCsv = async () => {
    setExporting(true);
    try {
      const res = await fetch(`/app/outreach/export${location.search}`, {
        headers: { Authorization: `Bearer ${await shopify.idToken()}` },
      });
      if (!res.ok) throw new Error(await res.text());
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement("a");
      a.href = url;
      a.download = /filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") ?? "")?.[1] ?? "outreach.csv";
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      shopify.toast.show("CSV exported");
    } catch (e) {
      shopify.toast.show(`Export failed: ${e instanceof Error ? e.message : String(e)}`, { isError: true });
    } finally {
      setExporting(false);
    }
  };

  return (
    <Page
      fullWidth
      title="Outreach"
      subtitle="VIP check-ins from your win-back campaigns"
      secondaryActions={[
        { content: "Export CSV", onAction: downloadCsv, loading: exporting, accessibilityLabel: "Export the filtered queue as CSV" },
        { content: "Concierge settings", url: "/app/settings/outreach" },
      ]}
    >
      <Layout>
        {queryError ? (
          <Layout.Section>
            <Banner tone="warning" title="Some filters in the address were not understood">
              <p>{queryError}. Showing the whole queue instead.</p>
            </Banner>
          </Layout.Section>
        ) : null}
        {escalations.length ? (
          <Layout.Section>
            <Banner
              tone="critical"
              title={`${summary.escalated} VIP ${summary.escalated === 1 ? "task needs" : "tasks need"} the owner`}
              action={{ content: "Show escalated", onAction: () => setMulti("status", ["escalated"]) }}
            >
              <p>
                No response by the follow-up date plus grace period:{" "}
                {escalations.map((e) => `${e.count} escalated to ${e.owner}`).join("; ")}.
              </p>
            </Banner>
          </Layout.Section>
        ) : null}
        <Layout.Section>
          <Card>
            <InlineStack gap="300" wrap>
              {STATUS_OPTIONS.map((s) => (
                <InlineStack key={s.value} gap="100" blockAlign="center">
                  <StatusBadge status={s.value} />
                  <Text as="span" variant="headingSm">
                    {summary[s.value]}
                  </Text>
                </InlineStack>
              ))}
              <Text as="span" tone={summary.overdue ? "critical" : "subdued"}>
                {summary.overdue} overdue
              </Text>
            </InlineStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card padding="0">
            <div data-testid="outreach-queue">
              <Filters
                queryValue={search}
                queryPlaceholder="Search name, email, phone or customer id"
                filters={filters}
                appliedFilters={applied}
                onQueryChange={(v) => {
                  setSearch(v);
                  clearTimeout(searchTimer.current);
                  searchTimer.current = setTimeout(() => update((p) => (v ? p.set("q", v) : p.delete("q"))), 300);
                }}
                onQueryClear={() => {
                  setSearch("");
                  update((p) => p.delete("q"));
                }}
                onClearAll={() => {
                  setSearch("");
                  setParams(new URLSearchParams());
                }}
              />
              <IndexTable
                resourceName={{ singular: "VIP task", plural: "VIP tasks" }}
                itemCount={rows.length}
                selectedItemsCount={allResourcesSelected ? "All" : selectedResources.length}
                onSelectionChange={handleSelectionChange}
                loading={fetcher.state !== "idle"}
                headings={[
                  { title: "Customer" },
                  { title: "Lifetime spend", alignment: "end" },
                  { title: "Last order" },
                  { title: "Campaign" },
                  { title: "Concierge" },
                  { title: "Perk" },
                  { title: "Status" },
                  { title: "Due" },
                ]}
                sortable={COLUMN_SORT.map((k) => k !== null)}
                sortColumnIndex={sortIndex >= 0 ? sortIndex : undefined}
                sortDirection={query.dir === "desc" ? "descending" : "ascending"}
                onSort={onSort}
                promotedBulkActions={[{ content: "Mark contacted", onAction: bulk("contacted") }]}
                bulkActions={[
                  { content: "Mark responded", onAction: bulk("responded") },
                  { content: "Mark follow-up due", onAction: bulk("follow_up_due") },
                  { content: "Escalate to owner", onAction: bulk("escalated") },
                ]}
                emptyState={
                  <Text as="p" tone="subdued" alignment="center">
                    No task matches these filters.
                  </Text>
                }
                pagination={{
                  hasPrevious: query.page > 1,
                  hasNext: query.page < pageCount,
                  onPrevious: () => goPage(query.page - 1),
                  onNext: () => goPage(query.page + 1),
                  label: `Page ${Math.min(query.page, pageCount)} of ${pageCount} · ${total} tasks`,
                }}
              >
                {rows.map((r, i) => (
                  <IndexTable.Row id={r.id} key={r.id} position={i} selected={selectedResources.includes(r.id)}>
                    <IndexTable.Cell>
                      <BlockStack gap="050">
                        <Link dataPrimaryLink url={`/app/outreach/${r.id}${location.search}`} removeUnderline monochrome>
                          <Text as="span" fontWeight="semibold">
                            {r.name}
                          </Text>
                        </Link>
                        <InlineStack gap="200">
                          <Text as="span" tone="subdued" variant="bodySm">
                            {r.email ?? "no email"}
                          </Text>
                          {r.phone ? (
                            <Text as="span" tone="subdued" variant="bodySm">
                              {r.phone}
                            </Text>
                          ) : null}
                        </InlineStack>
                      </BlockStack>
                    </IndexTable.Cell>
                    <IndexTable.Cell>
                      <Text as="span" alignment="end" numeric>
                        {r.spend}
                      </Text>
                    </IndexTable.Cell>
                    <IndexTable.Cell>{r.lastOrder}</IndexTable.Cell>
                    <IndexTable.Cell>{r.campaign}</IndexTable.Cell>
                    <IndexTable.Cell>{r.concierge}</IndexTable.Cell>
                    <IndexTable.Cell>
                      <Text as="span" breakWord>
                        {r.perk}
                      </Text>
                    </IndexTable.Cell>
                    <IndexTable.Cell>
                      <StatusBadge status={r.status} />
                    </IndexTable.Cell>
                    <IndexTable.Cell>
                      {r.overdue ? (
                        <Badge tone="critical">{`Overdue · ${r.due}`}</Badge>
                      ) : (
                        <Text as="span" tone={r.due === "—" ? "subdued" : undefined}>
                          {r.due}
                        </Text>
                      )}
                    </IndexTable.Cell>
                  </IndexTable.Row>
                ))}
              </IndexTable>
            </div>
          </Card>
        </Layout.Section>
      </Layout>
      <Outlet context={{ close: () => navigate(`/app/outreach${location.search}`, { preventScrollReset: true }) }} />
    </Page>
  );
}
