import { database } from "../db.server";
import { jobQueue } from "../jobs/worker.server";
import { flowTriggers, messageCounts, messenger } from "../messaging/index.server";
import { adminClientForShop } from "../shopify/admin-client.server";
import type { CampaignDeps } from "./deps";
import { outreachPort } from "./outreach-port";

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
