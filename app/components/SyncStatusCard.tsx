import { useEffect } from "react";
import { useFetcher } from "@remix-run/react";
import { Banner, BlockStack, Button, Card, InlineStack, List, ProgressBar, Text } from "@shopify/polaris";
import type { SyncStatusView } from "../sync/status";
import { useFormat } from "./FormatProvider";

function duration(seconds: number) {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/**
 * Order sync status on the home page. While a sync runs it polls GET /app/sync (the status only,
 * not the whole page) every 2 s; Retry posts to the same route, which only enqueues a job.
 */
export function SyncStatusCard({ initial }: { initial: SyncStatusView }) {
  const f = useFormat();
  const nf = (n: number) => f.number(Math.round(n));
  const poll = useFetcher<{ status: SyncStatusView }>();
  const retry = useFetcher<{ status: SyncStatusView; queued: boolean }>();
  const s = retry.data?.status && (!poll.data || retry.state !== "idle") ? retry.data.status : (poll.data?.status ?? initial);
  const running = s.state === "running" || retry.state !== "idle";

  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => {
      if (poll.state === "idle") poll.load("/app/sync");
    }, 2000);
    return () => clearInterval(t);
  }, [running, poll]);

  return (
    <Card>
      <BlockStack gap="300">
        <InlineStack align="space-between" blockAlign="center">
          <Text as="h2" variant="headingMd">
            Order history sync
          </Text>
          {s.lastSyncedAt ? (
            <Text as="span" tone="subdued">
              Last synced {f.dateTime(s.lastSyncedAt)}
            </Text>
          ) : null}
        </InlineStack>

        {s.state === "never" ? (
          <Text as="p" tone="subdued">
            The first sync starts automatically after installation.
          </Text>
        ) : null}

        {s.state === "running" ? (
          <BlockStack gap="200">
            <ProgressBar progress={s.progress == null ? 5 : Math.round(s.progress * 100)} size="small" animated />
            <Text as="p" id="sync-progress">
              {s.phase === "exporting"
                ? "Shopify is preparing the export of your orders and customers…"
                : `${nf(s.objectsIngested)}${s.objectsTotal ? ` of ${nf(s.objectsTotal)}` : ""} objects ingested`}
              {s.ratePerSecond ? ` · ${nf(s.ratePerSecond)}/s` : ""}
              {s.etaSeconds != null ? ` · about ${duration(s.etaSeconds)} left` : ""}
            </Text>
          </BlockStack>
        ) : null}

        {s.state === "completed" ? (
          <Text as="p" id="sync-counts">
            {nf(s.ordersSynced)} orders and {nf(s.customersSynced)} customers synced
            {s.finishedAt ? ` · finished ${f.dateTime(s.finishedAt)}` : ""}
          </Text>
        ) : null}

        {s.error ? (
          <Banner tone={s.state === "failed" ? "critical" : "warning"} title={s.error.title}>
            <BlockStack gap="200">
              <Text as="p">{s.error.message}</Text>
              <Text as="p" tone="subdued">
                Code: {s.error.code}
              </Text>
            </BlockStack>
          </Banner>
        ) : null}

        {s.history?.state === "limited" ? (
          <Banner tone="warning" title={s.history.title ?? "Order history is limited"}>
            <Text as="p" id="sync-history-limited">
              {s.history.message}
            </Text>
          </Banner>
        ) : null}

        {s.malformed.count > 0 ? (
          <Banner tone="warning" title={`${nf(s.malformed.count)} exported lines could not be read and were skipped`}>
            <List>
              {s.malformed.samples.slice(0, 5).map((m) => (
                <List.Item key={`${m.resource}-${m.line}`}>
                  {m.resource}, line {nf(m.line)}: {m.error}
                </List.Item>
              ))}
            </List>
          </Banner>
        ) : null}

        {s.canRetry && s.state !== "never" ? (
          <retry.Form method="post" action="/app/sync">
            <input type="hidden" name="intent" value="retry" />
            <Button submit loading={retry.state !== "idle"} variant={s.state === "failed" || s.partial ? "primary" : undefined}>
              {s.state === "failed" || s.partial ? "Retry sync" : "Sync again"}
            </Button>
          </retry.Form>
        ) : null}
      </BlockStack>
    </Card>
  );
}
