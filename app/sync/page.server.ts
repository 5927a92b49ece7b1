import type { AppContext } from "../jobs/feature";
import { requestSync } from "./start";
import { loadSyncStatus, type SyncStatusView } from "./status";

/**
 * The sync route's loader and action (app/routes/app.sync.tsx, polled by SyncStatusCard); the
 * database, queue and clock come from the composition root's context.
 */
export async function loadSyncPage(ctx: Pick<AppContext, "db" | "now">, shop: string): Promise<{ status: SyncStatusView }> {
  await ctx.db.ready();
  return { status: await loadSyncStatus(ctx.db.sql, shop, ctx.now()) };
}

/** The merchant's Retry: only enqueues (the sync runs in the job worker, never in the request). */
export async function retrySync(
  ctx: Pick<AppContext, "db" | "queue" | "now">,
  shop: string,
): Promise<{ queued: boolean; status: SyncStatusView }> {
  await ctx.db.ready();
  const { queued } = await requestSync({ queue: ctx.queue }, shop);
  return { queued, status: await loadSyncStatus(ctx.db.sql, shop, ctx.now()) };
}
