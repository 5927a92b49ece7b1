import type { AppContext } from "../jobs/feature";
import { campaignMessageCounts } from "./feedback";
import { createFlowTriggers } from "./flow";
import { createMessenger } from "./messenger";
import type { CampaignMessageCounts, FlowTriggers, Messenger } from "./types";
import type { SuppressDeps } from "./unsubscribe";

/** The messaging layer other features use (campaign touches, points nudges), built from the app's context. */
export interface MessagingServices {
  messenger(): Messenger;
  flowTriggers(): FlowTriggers;
  messageCounts(campaignId: string): Promise<CampaignMessageCounts>;
  /** Unsubscribe and feedback routes: the database, the queue (consent jobs) and the token secret. */
  suppressDeps(): SuppressDeps & { secret: string };
}

/**
 * Production wiring of the messaging layer: the app database, SMTP from SMTP_URL, the app secret
 * for unsubscribe tokens, the shop's offline Admin client for Flow. The environment is read at
 * each call, as before (SMTP_URL is validated when mail is first sent).
 */
export function createMessaging(ctx: AppContext): MessagingServices {
  return {
    messenger() {
      const e = ctx.env();
      return createMessenger({ sql: ctx.db.sql, transport: ctx.mailer(), appUrl: e.SHOPIFY_APP_URL, secret: e.SHOPIFY_API_SECRET, from: e.MAIL_FROM });
    },
    flowTriggers: () => createFlowTriggers({ sql: ctx.db.sql, client: ctx.adminClient }),
    messageCounts: (campaignId) => campaignMessageCounts(ctx.db.sql, campaignId),
    suppressDeps: () => ({ sql: ctx.db.sql, queue: ctx.queue, secret: ctx.env().SHOPIFY_API_SECRET }),
  };
}
