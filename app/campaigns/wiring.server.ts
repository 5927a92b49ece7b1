import { database } from "../db.server";
import { jobQueue } from "../jobs/worker.server";
import { flowTriggers, messageCounts, messenger } from "../messaging/index.server";
import { createOutreachTasks, outreachTaskFor } from "../outreach/tasks";
import { adminClientForShop } from "../shopify/admin-client.server";
import type { CampaignDeps, OutreachPort } from "./deps";

/** The outreach feature seen through the campaign's port (its task view carries more than the note needs). */
export const outreachPort: OutreachPort = {
  createTasks: (sql, input) => createOutreachTasks(sql, input),
  async taskFor(sql, shop, campaignId, customerId) {
    const t = await outreachTaskFor(sql, shop, campaignId, customerId);
    return t ? { perk: t.perk.text, conciergeName: t.concierge.name, conciergeRole: t.concierge.role, script: t.script } : null;
  },
};

/** Production wiring of the campaign use cases (imported lazily by job handlers and routes). */
export async function campaignDeps(): Promise<CampaignDeps> {
  await database.ready();
  return {
    sql: database.sql,
    client: adminClientForShop,
    queue: jobQueue(),
    messenger: messenger(),
    flow: flowTriggers(),
    messageCounts: (_sql, campaignId) => messageCounts(campaignId),
    outreach: outreachPort,
    now: () => new Date(),
  };
}
