import { useCallback, useState } from "react";
import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { Badge, Banner, BlockStack, Card, EmptyState, IndexTable, InlineStack, Layout, Link, Page, Select, Text } from "@shopify/polaris";
import { useAppBridge } from "@shopify/app-bridge-react";
import { loadSegments } from "../analysis/page.server";
import { adminScope, appContext } from "../app.server";
import { useFormat } from "../components/FormatProvider";
import { EMPTY_STATE_IMAGE } from "../components/empty-state-image";
import { ReliabilityChart } from "../components/analysis/ReliabilityChart";

export const loader = async ({ request }: LoaderFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    return json(await loadSegments(appContext, session.shop, new URL(request.url)));
  });

const CLASS_BADGE: Record<string, { label: string; tone?: "success" | "attention" | "critical" }> = {
  active: { label: "Active", tone: "success" },
  at_risk: { label: "At risk", tone: "attention" },
  high_risk: { label: "High risk", tone: "critical" },
  lost: { label: "Lost" },
};

// IndexTable column index → sort key (undefined: not sortable)
const COLUMNS: Array<{ title: string; sort?: string; alignment?: "end" }> = [
  { title: "Customer" },
  { title: "Class" },
  { title: "Branch" },
  { title: "Orders", alignment: "end" },
  { title: "Total spent", sort: "totalSpent", alignment: "end" },
  { title: "Days since last order", sort: "daysSinceLast", alignment: "end" },
  { title: "Chance of ordering", sort: "pBuy", alignment: "end" },
  { title: "Predicted 12-month value", sort: "predictedValue12m", alignment: "end" },
  { title: "Churn risk", sort: "churnRisk", alignment: "end" },
];

const FILTERS = [
  {
    name: "class",
    label: "Class",
    options: [
      ["", "All classes"],
      ["active", "Active"],
      ["at_risk", "At risk"],
      ["high_risk", "High risk"],
      ["lost", "Lost"],
    ],
  },
  {
    name: "branch",
    label: "Branch",
    options: [
      ["", "Any branch"],
      ["VIP", "VIP"],
      ["Standard", "Standard"],
    ],
  },
  {
    name: "target",
    label: "Win-back target",
    options: [
      ["", "Targets and others"],
      ["yes", "Targets only"],
      ["no", "Not targeted"],
    ],
  },
  {
    name: "vip",
    label: "VIP",
    options: [
      ["", "VIP or not"],
      ["yes", "VIPs only"],
      ["no", "Non-VIPs"],
    ],
  },
  {
    name: "overdue",
    label: "Overdue",
    options: [
      ["", "Overdue or not"],
      ["yes", "Overdue only"],
      ["no", "Not overdue"],
    ],
  },
] as const;

export default function Segments() {
  const { query, page, error, currencyCode, asOf, horizonDays, calibration } = useLoaderData<typeof loader>();
  // the buy probability's column names its horizon: a percentage without its window cannot be checked (ADR 082)
  const columns = COLUMNS.map((c) => (c.sort === "pBuy" ? { ...c, title: `Chance of ordering within ${horizonDays} days` } : c));
  const [params, setParams] = useSearchParams();
  const nav = useNavigation();
  const shopify = useAppBridge();
  const [exporting, setExporting] = useState(false);
  const f = useFormat();
  const money = { format: (n: number) => f.money(n, { currency: currencyCode }) };

  const update = useCallback(
    (changes: Record<string, string | null>) => {
      const next = new URLSearchParams(params);
      for (const [k, v] of Object.entries(changes)) {
        if (v) next.set(k, v);
        else next.delete(k);
      }
      // A new filter or sort starts at the first page.
      if (!("after" in changes) && !("before" in changes)) {
        next.delete("after");
        next.delete("before");
      }
      setParams(next);
    },
    [params, setParams],
  );

  const sortKey = query?.sort ?? "churnRisk";
  const sortIndex = COLUMNS.findIndex((c) => c.sort === sortKey);

  // The export is fetched (App Bridge adds the session token to same-origin fetches), then saved.
  const exportCsv = async () => {
    setExporting(true);
    try {
      const q = new URLSearchParams(params);
      const res = await fetch(`/app/segments/export?${q.toString()}`);
      if (!res.ok) throw new Error(await res.text());
      const name = /filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") ?? "")?.[1] ?? "winback-customers.csv";
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      a.click();
      URL.revokeObjectURL(url);
      shopify.toast.show("Export ready");
    } catch (e) {
      shopify.toast.show(`Export failed: ${(e as Error).message}`, { isError: true });
    } finally {
      setExporting(false);
    }
  };

  const rows = page.rows.map((r, i) => {
    const name = [r.firstName, r.lastName].filter(Boolean).join(" ");
    const cls = CLASS_BADGE[r.lapseClass] ?? { label: r.lapseClass };
    return (
      <IndexTable.Row id={r.customerId} key={r.customerId} position={i}>
        <IndexTable.Cell>
          <BlockStack gap="050">
            <Link dataPrimaryLink url={`/app/customers/${r.customerId}`} removeUnderline monochrome>
              <Text as="span" fontWeight="semibold">
                {name || `Customer ${r.customerId}`}
              </Text>
            </Link>
            <Text as="span" tone="subdued" variant="bodySm">
              {r.email ?? "no email"}
            </Text>
          </BlockStack>
        </IndexTable.Cell>
        <IndexTable.Cell>
          <InlineStack gap="100">
            <Badge tone={cls.tone}>{cls.label}</Badge>
            {r.overdue ? <Badge tone="warning">Overdue</Badge> : null}
          </InlineStack>
        </IndexTable.Cell>
        <IndexTable.Cell>
          <InlineStack gap="100">
            {r.branch ? (
              <Badge tone={r.branch === "VIP" ? "success" : "info"}>{r.branch}</Badge>
            ) : (
              <Text as="span" tone="subdued">
                not targeted
              </Text>
            )}
            {r.vip && !r.branch ? <Badge tone="success">VIP</Badge> : null}
          </InlineStack>
        </IndexTable.Cell>
        <IndexTable.Cell>
          <Text as="span" alignment="end" numeric>
            {r.orders}
          </Text>
        </IndexTable.Cell>
        <IndexTable.Cell>
          <Text as="span" alignment="end" numeric>
            {money.format(r.totalSpent)}
          </Text>
        </IndexTable.Cell>
        <IndexTable.Cell>
          <Text as="span" alignment="end" numeric>
            {r.daysSinceLast}
          </Text>
        </IndexTable.Cell>
        <IndexTable.Cell>
          <Text as="span" alignment="end" numeric>
            {r.pBuy == null ? "–" : f.percent(r.pBuy, 0)}
          </Text>
        </IndexTable.Cell>
        <IndexTable.Cell>
          <Text as="span" alignment="end" numeric>
            {r.predictedValue12m == null ? "–" : money.format(r.predictedValue12m)}
          </Text>
        </IndexTable.Cell>
        <IndexTable.Cell>
          <Text as="span" alignment="end" numeric>
            {f.percent(r.churnRisk, 0)}
          </Text>
        </IndexTable.Cell>
      </IndexTable.Row>
    );
  });

  return (
    <Page
      title="Segments"
      subtitle={asOf ? `${f.number(page.total)} customers match · analysis as of ${asOf}` : undefined}
      backAction={{ content: "Home", url: "/app" }}
      primaryAction={{ content: "Export CSV", onAction: exportCsv, loading: exporting, disabled: !asOf || page.total === 0 }}
    >
      <Layout>
        {error ? (
          <Layout.Section>
            <Banner tone="critical" title="This filter cannot be shown">
              <p>{error}</p>
            </Banner>
          </Layout.Section>
        ) : null}
        <Layout.Section>
          <Card padding="0">
            <BlockStack gap="0">
              <div style={{ padding: "var(--p-space-300)" }}>
                <InlineStack gap="300" wrap>
                  {FILTERS.map((f) => (
                    <div key={f.name} style={{ minWidth: 150 }}>
                      <Select
                        label={f.label}
                        options={f.options.map(([value, label]) => ({ value, label }))}
                        value={params.get(f.name) ?? ""}
                        onChange={(v) => update({ [f.name]: v || null })}
                      />
                    </div>
                  ))}
                </InlineStack>
              </div>
              {asOf === null && !error ? (
                <EmptyState heading="No analysis yet" image={EMPTY_STATE_IMAGE}>
                  <p>Customers appear here once the order sync and the first analysis have finished.</p>
                </EmptyState>
              ) : (
                <IndexTable
                  resourceName={{ singular: "customer", plural: "customers" }}
                  itemCount={page.rows.length}
                  selectable={false}
                  loading={nav.state === "loading"}
                  headings={columns.map((c) => ({ title: c.title, alignment: c.alignment })) as never}
                  sortable={COLUMNS.map((c) => !!c.sort)}
                  sortColumnIndex={sortIndex >= 0 ? sortIndex : undefined}
                  sortDirection={query?.dir === "asc" ? "ascending" : "descending"}
                  defaultSortDirection="descending"
                  onSort={(index, direction) =>
                    update({ sort: COLUMNS[index]?.sort ?? null, dir: direction === "ascending" ? "asc" : "desc" })
                  }
                  pagination={{
                    hasNext: !!page.next,
                    hasPrevious: !!page.prev,
                    onNext: () => update({ after: page.next, before: null }),
                    onPrevious: () => update({ before: page.prev, after: null }),
                  }}
                  emptyState={
                    <Text as="p" alignment="center" tone="subdued">
                      No customers match this filter.
                    </Text>
                  }
                >
                  {rows}
                </IndexTable>
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
        {calibration && asOf ? (
          <Layout.Section>
            <ReliabilityChart
              horizonDays={calibration.horizonDays}
              trainedDays={calibration.trainedDays}
              cut={calibration.cut}
              asOf={asOf}
              reliability={calibration.reliability}
              signals={calibration.signals ?? []}
            />
          </Layout.Section>
        ) : null}
      </Layout>
    </Page>
  );
}
