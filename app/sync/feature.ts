import type { AppContext, Feature, OrderChanged } from "../jobs/feature";
import type { JobDefinition } from "../jobs/queue";
import type { WebhookHandler } from "../webhooks/handlers.server";
import type { OrdersWritten, SyncDeps } from "./context";
import { runFinalizer } from "./finalize";
import { syncJobDefinitions } from "./jobs";
import { ensureInitialSync } from "./start";
import { syncWebhookHandlers } from "./webhooks";
import { exportSyncCustomerData, redactSyncCustomers, redactSyncShop } from "./store/redact";

/** The sync's compliance hooks (its tables' rows; app/compliance.server.ts calls them). */
export const syncCompliance = {
  redactCustomers: redactSyncCustomers,
  redactShop: redactSyncShop,
  exportCustomerData: exportSyncCustomerData,
} satisfies Pick<Feature, "redactCustomers" | "redactShop" | "exportCustomerData">;

/**
 * What the order sync registers (docs/decisions/075-sync-chain.md): its jobs (start, poll, ingest,
 * delta), its webhook handlers (bulk finish, orders, customers), the first sync after install, and
 * its part of the compliance webhooks. The features' reactions (onSyncCompleted, onOrderChanged)
 * are handed in by the composition root, which collects them from every feature.
 */
export interface SyncFeature extends Feature {
  /** The wired dependencies of the sync's steps. */
  deps: SyncDeps;
  jobs: JobDefinition[];
  webhookHandlers: Record<string, WebhookHandler>;
}

export function createSyncDeps(
  ctx: AppContext,
  hooks: {
    onSyncCompleted: (shop: string) => Promise<void>;
    onOrderChanged: (event: OrderChanged) => Promise<void>;
    onOrdersWritten?: OrdersWritten;
  },
): SyncDeps {
  return {
    sql: ctx.db.sql,
    client: ctx.adminClient,
    queue: ctx.queue,
    finalize: runFinalizer,
    onSyncCompleted: hooks.onSyncCompleted,
    onOrderChanged: hooks.onOrderChanged,
    ...(hooks.onOrdersWritten ? { onOrdersWritten: hooks.onOrdersWritten } : {}),
  };
}

export function createSyncFeature(
  ctx: AppContext,
  hooks: {
    onSyncCompleted: (shop: string) => Promise<void>;
    onOrderChanged: (event: OrderChanged) => Promise<void>;
    onOrdersWritten?: OrdersWritten;
  },
): SyncFeature {
  const deps = createSyncDeps(ctx, hooks);
  return {
    name: "sync",
    deps,
    jobs: syncJobDefinitions(() => deps),
    webhookHandlers: syncWebhookHandlers(() => deps),
    afterInstall: async (shop) => void (await ensureInitialSync(deps, shop)),
    ...syncCompliance,
  };
}
