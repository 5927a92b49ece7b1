import { database } from "../db.server";
import { env } from "../env.server";
import { jobQueue } from "../jobs/worker.server";
import { adminClientForShop } from "../shopify/admin-client.server";
import { campaignMessageCounts } from "./feedback";
import { createFlowTriggers } from "./flow";
import { mailTransport } from "./mail-transport.server";
import { createMessenger } from "./messenger";
import type { CampaignMessageCounts, FlowTriggers, Messenger } from "./types";

/**
 * Production wiring of the messaging layer: the app database, SMTP from SMTP_URL, the app secret
 * for unsubscribe tokens, the shop's offline Admin client for Flow. Features import these lazily
 * (`await import("../messaging/index.server")`) from their job handlers.
 */
export function messenger(): Messenger {
  const e = env();
  return createMessenger({ sql: database.sql, transport: mailTransport(), appUrl: e.SHOPIFY_APP_URL, secret: e.SHOPIFY_API_SECRET, from: e.MAIL_FROM });
}

export function flowTriggers(): FlowTriggers {
  return createFlowTriggers({ sql: database.sql, client: adminClientForShop });
}

export function messageCounts(campaignId: string): Promise<CampaignMessageCounts> {
  return campaignMessageCounts(database.sql, campaignId);
}

export function suppressDeps() {
  return { sql: database.sql, queue: jobQueue(), secret: env().SHOPIFY_API_SECRET };
}
