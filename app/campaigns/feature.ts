import type { AppContext, Feature } from "../jobs/feature";
import type { MessagingServices } from "../messaging/feature";
import { createOutreachTasks, firstEscalationAt, outreachTaskFor, scheduleEscalations } from "../outreach/create-tasks";
import { hasConciergeContact } from "../outreach/store";
import type { CampaignDeps, OutreachPort } from "./deps";
import { campaignJobDefinitions } from "./jobs";
import { exportCampaignCustomers, redactCampaignCustomers, redactCampaignShop } from "./store";
import { onOrderChanged, reconcileReactivations } from "./touch";
import { refreshMemberWindows, subtractMembers } from "./store/totals";

/** The outreach feature seen through the campaign's port (its task view carries more than the note needs). */
export const outreachPort: OutreachPort = {
  createTasks: (sql, input) => createOutreachTasks(sql, input),
  scheduleEscalation: (queue, shop, launchAt, settings) => scheduleEscalations(queue, shop, firstEscalationAt(launchAt, settings)),
  hasConciergeContact: (sql, shop, campaignId, customerId) => hasConciergeContact(sql, shop, campaignId, customerId),
  async taskFor(sql, shop, campaignId, customerId) {
    const t = await outreachTaskFor(sql, shop, campaignId, customerId);
    return t ? { perk: t.perk.text, conciergeName: t.concierge.name, conciergeRole: t.concierge.role, script: t.script } : null;
  },
};

export type CampaignMessaging = Pick<MessagingServices, "messenger" | "flowTriggers" | "messageCounts">;

/** Production wiring of the campaign use cases, from the app's context and the messaging layer. */
export function campaignDepsFrom(ctx: AppContext, messaging: CampaignMessaging): () => Promise<CampaignDeps> {
  return async () => {
    await ctx.db.ready();
    return {
      sql: ctx.db.sql,
      client: ctx.adminClient,
      queue: ctx.queue,
      messenger: messaging.messenger(),
      flow: messaging.flowTriggers(),
      messageCounts: (_sql, campaignId) => messaging.messageCounts(campaignId),
      outreach: outreachPort,
      now: ctx.now,
      apiKey: ctx.env().SHOPIFY_API_KEY,
    };
  };
}

/**
 * The campaigns feature: its jobs and hooks (app/jobs/feature.ts), and `deps` for its routes'
 * loaders and actions. Tests pass their own deps factory instead of the context.
 */
export function createCampaignsFeature(ctx: AppContext, messaging: CampaignMessaging): Feature & { deps: () => Promise<CampaignDeps> } {
  return campaignsFeatureOver(campaignDepsFrom(ctx, messaging));
}

export function campaignsFeatureOver(deps: () => Promise<CampaignDeps>): Feature & { deps: () => Promise<CampaignDeps> } {
  return {
    name: "campaigns",
    deps,
    jobs: campaignJobDefinitions(deps),
    // An order inside a campaign window reactivates the member and ends its touches.
    onOrderChanged: async (event) => void (await onOrderChanged(await deps(), event)),
    // The measurement totals move with the orders, in the transaction that stored them (ADR 105).
    onOrdersWritten: async (tx, shop, customerIds) => void (await refreshMemberWindows(tx, shop, customerIds, (await deps()).now())),
    onSyncCompleted: async (shop) => void (await reconcileReactivations(await deps(), shop)),
    redactCustomers: async (tx, shop, { customerIds }) => {
      await subtractMembers(tx, shop, customerIds);
      await redactCampaignCustomers(tx, shop, customerIds);
    },
    redactShop: (tx, shop) => redactCampaignShop(tx, shop),
    exportCustomerData: (sql, shop, customerIds) => exportCampaignCustomers(sql, shop, customerIds),
  };
}
