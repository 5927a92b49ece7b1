import type { AppContext, OrderChanged } from "../jobs/feature";
import type { SyncDeps } from "./deps";

/** The production wiring of the sync use cases; the features' hooks are handed in by the composition root. */
export function createSyncDeps(
  ctx: AppContext,
  hooks: { onSyncCompleted: (shop: string) => Promise<void>; onOrderChanged: (event: OrderChanged) => Promise<void> },
): SyncDeps {
  return {
    sql: ctx.db.sql,
    client: ctx.adminClient,
    queue: ctx.queue,
    onSyncCompleted: hooks.onSyncCompleted,
    onOrderChanged: hooks.onOrderChanged,
  };
}
