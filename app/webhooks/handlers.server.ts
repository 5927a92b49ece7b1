import type { Session } from "@shopify/shopify-api";
import type { Database } from "../db/open";
import { complianceHandlers } from "../compliance.server";
import { appHandlers } from "../install.server";
import { syncWebhookHandlers } from "../sync/webhooks.server";

export interface WebhookContext {
  shop: string;
  topic: string;
  payload: unknown;
  webhookId: string;
  session?: Session;
  db: Database;
}

export type WebhookHandler = (ctx: WebhookContext) => Promise<void>;

/** Topic (as authenticate.webhook names it, e.g. ORDERS_CREATE) to handler. */
export const webhookHandlers: Record<string, WebhookHandler> = {
  ...appHandlers,
  ...complianceHandlers,
  ...syncWebhookHandlers(async () => (await import("../sync/deps.server")).syncDeps()),
};
