import type { Sql } from "../db/sql";
import { grantedScopes } from "../shop-settings.server";
import { checkHistoryDepth, lastSyncedAt, latestCompletedInitialRun, latestRunStatus, operationProgress } from "./store/runs";
import { ALL_ORDERS_SCOPE, assessHistoryDepth, DEFAULT_ORDER_WINDOW_DAYS, type HistoryDepthState } from "../domain/history-depth";

/**
 * How far back the synced order history reaches (ADR 074). Without read_all_orders Shopify serves
 * only the last 60 days of orders and says nothing, so this is worked out from the granted scopes
 * and the oldest order the last full sync brought in.
 */
export interface HistoryDepthView {
  state: HistoryDepthState;
  windowDays: number;
  oldestOrderAt: string | null;
  /** Whether read_all_orders is granted (null: the shop's scopes are not known). */
  hasAllOrdersScope: boolean | null;
  title: string | null;
  message: string | null;
}

/** What the home page's SyncStatusCard shows (plain JSON: dates as ISO strings). */
export interface SyncStatusView {
  state: "never" | "running" | "completed" | "failed";
  phase: "exporting" | "ingesting" | null;
  runId: string | null;
  kind: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  lastSyncedAt: string | null;
  objectsIngested: number;
  /** Known once Shopify finished exporting (objectCount of the bulk operations). */
  objectsTotal: number | null;
  progress: number | null;
  ratePerSecond: number | null;
  etaSeconds: number | null;
  ordersSynced: number;
  customersSynced: number;
  partial: boolean;
  error: { code: string; title: string; message: string } | null;
  malformed: { count: number; samples: Array<{ resource: string; line: number; error: string }> };
  canRetry: boolean;
  /** Null until a full sync completed. */
  history: HistoryDepthView | null;
}

const MESSAGES: Record<string, { title: string; message: string }> = {
  // A missing read_all_orders is NOT this: Shopify then serves the last 60 days silently (see history).
  ACCESS_DENIED: {
    title: "Shopify denied access to your orders or customers",
    message:
      "Winback needs read access to orders (read_orders) and customers (read_customers). Approve the app's permissions in Shopify, then retry.",
  },
  PROTECTED_CUSTOMER_DATA: {
    title: "Shopify has not approved Winback for protected customer data",
    message:
      "Shopify withholds customer records from apps until their protected customer data request is approved. Winback kept the orders it could read; customers are missing until access is approved (Partner Dashboard › App › API access › Protected customer data access), then retry.",
  },
  INTERNAL_SERVER_ERROR: {
    title: "Shopify had an internal error",
    message: "Shopify could not finish exporting your data. This is usually temporary: retry in a few minutes.",
  },
  TIMEOUT: {
    title: "Shopify's export timed out",
    message: "The export took longer than Shopify allows. Retry; if it keeps happening, contact support.",
  },
  EXPIRED: {
    title: "The export expired",
    message: "Shopify keeps an export for 7 days and this one expired before it could be read. Retry to export again.",
  },
  CANCELED: { title: "The export was canceled", message: "The export was canceled before it finished. Retry to start a new one." },
  UNAUTHENTICATED: {
    title: "Winback lost access to your store",
    message: "Open Winback from your Shopify admin to reconnect, then retry.",
  },
  NETWORK: { title: "Network problem", message: "Winback could not reach Shopify. It retries by itself; you can also retry now." },
  THROTTLED: {
    title: "Shopify asked Winback to slow down",
    message: "The sync is waiting for Shopify's rate limit and continues by itself.",
  },
};

export function describeSyncError(code: string, partial: boolean) {
  const m = MESSAGES[code] ?? {
    title: "The sync failed",
    message: `Shopify reported ${code}. Retry; if it keeps failing, contact support.`,
  };
  if (!partial) return { code, ...m };
  return {
    code,
    title: "Sync partially complete",
    message: `${m.title}. Winback kept the data Shopify exported before it stopped; some orders or customers may be missing until you retry.`,
  };
}

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

export async function loadSyncStatus(sql: Sql, shop: string, now: Date = new Date()): Promise<SyncStatusView> {
  const run = await latestRunStatus(sql, shop);
  const synced = await lastSyncedAt(sql, shop);
  const base: SyncStatusView = {
    state: "never",
    phase: null,
    runId: null,
    kind: null,
    startedAt: null,
    finishedAt: null,
    lastSyncedAt: iso(synced),
    objectsIngested: 0,
    objectsTotal: null,
    progress: null,
    ratePerSecond: null,
    etaSeconds: null,
    ordersSynced: 0,
    customersSynced: 0,
    partial: false,
    error: null,
    malformed: { count: 0, samples: [] },
    canRetry: true,
    history: null,
  };
  if (!run) return base;
  const scopes = await grantedScopes(sql, shop);
  const history = await historyDepth(sql, shop, scopes);
  const ops = await operationProgress(sql, run.id);
  const exporting = ops.some((o) => ["CREATED", "RUNNING", "CANCELING"].includes(o.status));
  const ingested = ops.reduce((s, o) => s + o.linesRead, 0);
  const total = exporting ? null : ops.reduce((s, o) => s + (o.ingestState === "failed" ? o.linesRead : o.objectCount), 0);
  const running = run.status === "running";
  let rate: number | null = null;
  let eta: number | null = null;
  if (running && run.ingestStartedAt && ingested > 0) {
    const secs = Math.max(0.001, (now.getTime() - new Date(run.ingestStartedAt).getTime()) / 1000);
    rate = ingested / secs;
    if (total != null) eta = Math.max(0, (total - ingested) / rate);
  }
  const malformedCount = ops.reduce((s, o) => s + o.malformedCount, 0);
  // ACCESS_DENIED on the customers export while read_customers is granted: the Customer object is
  // withheld because protected customer data is not approved (shopify.dev "Work with protected
  // customer data"), which the merchant fixes with a different request than a scope.
  const customersDenied = ops.some((o) => o.resource === "customers" && o.errorCode === "ACCESS_DENIED");
  const protectedDenied =
    run.errorCode === "ACCESS_DENIED" &&
    customersDenied &&
    !!scopes?.includes("read_customers") &&
    !ops.some((o) => o.resource !== "customers" && o.errorCode === "ACCESS_DENIED");
  const errorCode = protectedDenied ? "PROTECTED_CUSTOMER_DATA" : run.errorCode;
  return {
    ...base,
    state: running ? "running" : run.status === "failed" ? "failed" : "completed",
    phase: running ? (exporting && ingested === 0 ? "exporting" : "ingesting") : null,
    runId: run.id,
    kind: run.kind,
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    objectsIngested: ingested,
    objectsTotal: total,
    progress: total ? Math.min(1, ingested / total) : running ? null : 1,
    ratePerSecond: rate,
    etaSeconds: eta,
    ordersSynced: run.ordersSynced,
    customersSynced: run.customersSynced,
    partial: run.partial,
    error: errorCode ? describeSyncError(errorCode, run.partial && run.status !== "failed") : null,
    malformed: {
      count: malformedCount,
      samples: ops
        .flatMap((o) => (o.malformedSamples ?? []).map((s) => ({ resource: o.resource, line: s.line, error: s.error })))
        .slice(0, 20),
    },
    canRetry: !running,
    history,
  };
}

const dayFmt = (d: Date) => d.toISOString().slice(0, 10);

/**
 * The history depth after the last completed full sync. The oldest order is computed once per such
 * run (a scan of the shop's orders) and kept on the run; later page loads read it.
 */
export async function historyDepth(sql: Sql, shop: string, scopes: string[] | null): Promise<HistoryDepthView | null> {
  const run = await latestCompletedInitialRun(sql, shop);
  if (!run) return null;
  let oldest = run.oldestOrderAt;
  if (!run.historyCheckedAt) {
    oldest = await checkHistoryDepth(sql, shop, run.id);
  }
  const d = assessHistoryDepth({
    grantedScopes: scopes,
    syncStartedAt: new Date(run.startedAt),
    oldestOrderAt: oldest ? new Date(oldest) : null,
  });
  const view: HistoryDepthView = {
    state: d.state,
    windowDays: DEFAULT_ORDER_WINDOW_DAYS,
    oldestOrderAt: iso(oldest),
    hasAllOrdersScope: d.hasAllOrdersScope,
    title: null,
    message: null,
  };
  if (d.state === "limited") {
    view.title = `Order history is limited to the last ${DEFAULT_ORDER_WINDOW_DAYS} days`;
    view.message =
      `Shopify shows Winback only orders from the last ${DEFAULT_ORDER_WINDOW_DAYS} days` +
      (oldest ? ` (the oldest synced order is from ${dayFmt(new Date(oldest))})` : "") +
      `, because the app does not have the “read all orders” permission (${ALL_ORDERS_SCOPE}). ` +
      "Lapse detection, customer value and the analysis need the full history, so their results are less reliable until then. " +
      `Request ${ALL_ORDERS_SCOPE} for the app (a public app needs Shopify's approval: Partner Dashboard › App › API access › Read all orders), ` +
      "approve the updated permissions in your Shopify admin, then sync again.";
  }
  return view;
}
