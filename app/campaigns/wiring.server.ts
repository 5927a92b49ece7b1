import type { AppContext } from "../jobs/feature";
import type { MessagingServices } from "../messaging/index.server";
import type { CampaignDeps } from "./deps";
import { outreachPort } from "./outreach-port";

/** Production wiring of the campaign use cases, from the app's context and the messaging layer. */
export function createCampaignDeps(ctx: AppContext, messaging: Pick<MessagingServices, "messenger" | "flowTriggers" | "messageCounts">): () => Promise<CampaignDeps> {
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
    };
  };
}
