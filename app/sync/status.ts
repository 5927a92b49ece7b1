import type { Sql } from "../db/sql";

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
}

const MESSAGES: Record<string, { title: string; message: string }> = {
  ACCESS_DENIED: {
    title: "Shopify denied access to your order history",
    message:
      "Winback needs the “read all orders” permission (read_all_orders) to read orders older than 60 days, and read access to orders and customers. Approve the app's updated permissions in Shopify, then retry.",
  },
  INTERNAL_SERVER_ERROR: { title: "Shopify had an internal error", message: "Shopify could not finish exporting your data. This is usually temporary: retry in a few minutes." },
  TIMEOUT: { title: "Shopify's export timed out", message: "The export took longer than Shopify allows. Retry; if it keeps happening, contact support." },
  EXPIRED: { title: "The export expired", message: "Shopify keeps an export for 7 days and this one expired before it could be read. Retry to export again." },
  CANCELED: { title: "The export was canceled", message: "The export was canceled before it finished. Retry to start a new one." },
  UNAUTHENTICATED: { title: "Winback lost access to your store", message: "Open Winback from your Shopify admin to reconnect, then retry." },
  NETWORK: { title: "Network problem", message: "Winback could not reach Shopify. It retries by itself; you can also retry now." },
  THROTTLED: { title: "Shopify asked Winback to slow down", message: "The sync is waiting for Shopify's rate limit and continues by itself." },
};

export function describeSyncError(code: string, partial: boolean) {
  const m = MESSAGES[code] ?? { title: "The sync failed", message: `Shopify reported ${code}. Retry; if it keeps failing, contact support.` };
  if (!partial) return { code, ...m };
  return { code, title: "Sync partially complete", message: `${m.title}. Winback kept the data Shopify exported before it stopped; some orders or customers may be missing until you retry.` };
}

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

export async function loadSyncStatus(sql: Sql, shop: string, now: Date = new Date()): Promise<SyncStatusView> {
  const run = (
    await sql.query<{
      id: string; kind: string; status: string; partial: boolean; errorCode: string | null; startedAt: Date; ingestStartedAt: Date | null;
      finishedAt: Date | null; ordersSynced: number; customersSynced: number;
    }>(`SELECT id, kind, status, partial, "errorCode", "startedAt", "ingestStartedAt", "finishedAt", "ordersSynced", "customersSynced" FROM "SyncRun" WHERE shop = $1 ORDER BY "startedAt" DESC LIMIT 1`, [shop])
  )[0];
  const state = (await sql.query<{ lastSyncedAt: Date | null }>(`SELECT "lastSyncedAt" FROM "SyncState" WHERE shop = $1`, [shop]))[0];
  const base: SyncStatusView = {
    state: "never", phase: null, runId: null, kind: null, startedAt: null, finishedAt: null, lastSyncedAt: iso(state?.lastSyncedAt),
    objectsIngested: 0, objectsTotal: null, progress: null, ratePerSecond: null, etaSeconds: null, ordersSynced: 0, customersSynced: 0,
    partial: false, error: null, malformed: { count: 0, samples: [] }, canRetry: true,
  };
  if (!run) return base;
  const ops = await sql.query<{ resource: string; status: string; objectCount: number; linesRead: number; malformedCount: number; malformedSamples: Array<{ line: number; error: string }>; ingestState: string }>(
    // A direct load (ADR 051) commits nothing until the end; its progress is "linesApplied".
    `SELECT resource, status, "objectCount", greatest("linesRead", "linesApplied") AS "linesRead", "malformedCount", "malformedSamples", "ingestState" FROM "SyncBulkOperation" WHERE "runId" = $1 ORDER BY resource`,
    [run.id],
  );
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
    error: run.errorCode ? describeSyncError(run.errorCode, run.partial && run.status !== "failed") : null,
    malformed: {
      count: malformedCount,
      samples: ops.flatMap((o) => (o.malformedSamples ?? []).map((s) => ({ resource: o.resource, line: s.line, error: s.error }))).slice(0, 20),
    },
    canRetry: !running,
  };
}
